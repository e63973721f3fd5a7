//! The house has floors: no file of a crate imports, through any chain, a file that imports it
//! back, and no top-level module of a crate reaches a module that reaches it back. Imports are
//! read from the source as text (`use crate::…`, `super::…`, and paths written inline); a name
//! a module only re-exports (`pub use`) is followed to the file that defines it, so a folder's
//! `mod.rs` face is never a floor of its own. Tests (`#[cfg(test)]` onwards) are not read.
//! And every room is small: no product file over 400 lines, no test file over 600.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

const CRATES: &[&str] = &[
    "shared/src",
    "infra/src",
    "functions/system/src",
    "functions/identity/src",
    "functions/organisations/src",
    "functions/invitations/src",
    "functions/housekeeping/src",
    "functions/notifier/src",
    "functions/relay/src",
    "functions/sims/src",
    "functions/sims-import/src",
    "functions/devices/src",
    "functions/telemetry-ingest/src",
    "functions/local/src",
    "bench/src",
    "bench/hello/src",
    "bench/mqtt-load/src",
    "tests/src",
];

type ModPath = Vec<String>;

/// One source file: its module path, what it defines, what it re-exports, what it uses.
struct Module {
    file: PathBuf,
    defines: BTreeSet<String>,
    children: BTreeSet<String>,
    /// `pub use a::b::Name [as Alias]`: the alias and the absolute path it stands for.
    reexports: HashMap<String, ModPath>,
    /// `pub use a::b::*`: the modules whose names this one hands on.
    globs: Vec<ModPath>,
    uses: Vec<ModPath>,
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
        .to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn module_path(root: &Path, file: &Path) -> ModPath {
    let relative = file.strip_prefix(root).expect("a file under its crate root");
    let mut parts: ModPath = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs");
    let crate_root = parts.is_empty() && matches!(stem, "lib" | "main");
    if stem != "mod" && !crate_root {
        parts.push(stem.to_string());
    }
    parts
}

/// The product part of a file: everything before its tests, without comments.
fn product_text(source: &str) -> String {
    let mut text = String::new();
    let mut lines = source.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") {
            // The tests module ends what is read; a single test-only item is skipped.
            if lines.peek().is_some_and(|next| next.trim_start().starts_with("mod ")) {
                break;
            }
            while lines
                .next()
                .is_some_and(|item| !item.trim_end().ends_with(';') && !item.trim_end().ends_with('}'))
            {}
            continue;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        text.push_str(line.split(" // ").next().unwrap_or(line));
        text.push('\n');
    }
    text
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Expands a use tree such as `a::{b, c::{d, e as f}, g::*}` into its leaf paths and aliases.
fn expand_tree(tree: &str, prefix: &[String], out: &mut Vec<(ModPath, String)>) {
    let tree = tree.trim();
    if tree.is_empty() {
        return;
    }
    if let Some(open) = tree.find('{') {
        let head: ModPath = tree[..open]
            .split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        let mut base = prefix.to_vec();
        base.extend(head);
        let inner = &tree[open + 1..tree.rfind('}').expect("a closing brace")];
        let (mut depth, mut start) = (0, 0);
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand_tree(&inner[start..i], &base, out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        expand_tree(&inner[start..], &base, out);
        return;
    }
    let (path, alias) = match tree.split_once(" as ") {
        Some((path, alias)) => (path, Some(alias.trim().to_string())),
        None => (tree, None),
    };
    let mut full = prefix.to_vec();
    full.extend(
        path.split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from),
    );
    if full.last().is_some_and(|s| s == "self") {
        full.pop();
    }
    let alias = alias.unwrap_or_else(|| full.last().cloned().unwrap_or_default());
    out.push((full, alias));
}

/// Makes a path written in module `at` absolute (`crate::`, `super::`, `self::`, or a child
/// module of `at` named first); `None` for paths into other crates.
fn absolute(path: &[String], at: &[String], children: &BTreeSet<String>) -> Option<ModPath> {
    let mut resolved: ModPath = match path.first().map(String::as_str) {
        Some("crate") => Vec::new(),
        Some("self") => at.to_vec(),
        Some("super") => at.to_vec(),
        Some(child) if children.contains(child) => {
            let mut resolved = at.to_vec();
            resolved.extend(path.iter().cloned());
            return Some(resolved);
        }
        _ => return None,
    };
    let mut rest = &path[1..];
    if path[0] == "super" {
        resolved.pop();
        while rest.first().is_some_and(|s| s == "super") {
            resolved.pop();
            rest = &rest[1..];
        }
    }
    resolved.extend(rest.iter().cloned());
    Some(resolved)
}

fn read_module(root: &Path, file: &Path) -> (ModPath, Module) {
    let at = module_path(root, file);
    let text = product_text(&fs::read_to_string(file).expect("a readable source file"));
    let mut module = Module {
        file: file.to_path_buf(),
        defines: BTreeSet::new(),
        children: BTreeSet::new(),
        reexports: HashMap::new(),
        globs: Vec::new(),
        uses: Vec::new(),
    };
    // Top-level definitions and child modules.
    for line in text.lines().filter(|l| !l.starts_with(' ') && !l.starts_with('}')) {
        let words: Vec<&str> = line.split(|c: char| !is_ident(c)).filter(|w| !w.is_empty()).collect();
        for pair in words.windows(2) {
            if matches!(
                pair[0],
                "struct" | "enum" | "trait" | "fn" | "type" | "const" | "static" | "union" | "macro_rules"
            ) {
                module.defines.insert(pair[1].to_string());
                break;
            }
            if pair[0] == "mod" {
                module.children.insert(pair[1].to_string());
                break;
            }
        }
    }
    // `use` statements, possibly over several lines.
    let mut rest = text.as_str();
    while let Some(found) = rest.find("use ") {
        let before = &rest[..found];
        let statement_start = before.chars().last().is_none_or(|c| !is_ident(c));
        let after = &rest[found + 4..];
        let Some(end) = after.find(';') else { break };
        if statement_start {
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let public = before[line_start..].trim_start().starts_with("pub");
            let mut leaves = Vec::new();
            expand_tree(&after[..end].replace('\n', " "), &[], &mut leaves);
            for (path, alias) in leaves {
                let Some(full) = absolute(&path, &at, &module.children) else {
                    continue;
                };
                if public {
                    if alias == "*" {
                        let mut module_of = full.clone();
                        module_of.pop();
                        module.globs.push(module_of);
                    } else {
                        module.reexports.insert(alias, full);
                    }
                } else {
                    module.uses.push(full);
                }
            }
        }
        rest = &after[end..];
    }
    // Paths written inline: `crate::a::B`, `super::c::d()`.
    let bytes: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let starts = ["crate::", "super::", "self::"]
            .iter()
            .find(|p| bytes[i..].iter().take(p.len()).copied().eq(p.chars()));
        let boundary = i == 0 || !is_ident(bytes[i - 1]) && bytes[i - 1] != ':';
        if let (Some(_), true) = (starts, boundary) {
            let mut j = i;
            while j < bytes.len() && (is_ident(bytes[j]) || bytes[j] == ':') {
                j += 1;
            }
            let written: String = bytes[i..j].iter().collect();
            let path: ModPath = written
                .split("::")
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            if let Some(full) = absolute(&path, &at, &module.children) {
                module.uses.push(full);
            }
            i = j;
        } else {
            i += 1;
        }
    }
    (at, module)
}

/// The file that defines what `path` names, following re-exports; `None` outside the crate.
fn defining_module(modules: &BTreeMap<ModPath, Module>, path: &[String], depth: usize) -> Option<ModPath> {
    if depth > 16 {
        return None;
    }
    let longest = (0..=path.len()).rev().find(|n| modules.contains_key(&path[..*n]))?;
    if longest == path.len() {
        return Some(path.to_vec());
    }
    let module = &modules[&path[..longest]];
    let name = &path[longest];
    if module.defines.contains(name) || module.children.contains(name) && !modules.contains_key(&path[..=longest]) {
        return Some(path[..longest].to_vec());
    }
    if let Some(target) = module.reexports.get(name) {
        let mut target = target.clone();
        target.extend(path[longest + 1..].iter().cloned());
        return defining_module(modules, &target, depth + 1);
    }
    for glob in &module.globs {
        let mut target = glob.clone();
        target.extend(path[longest..].iter().cloned());
        if let Some(found) = defining_module(modules, &target, depth + 1) {
            return Some(found);
        }
    }
    // An enum variant, an associated item or a name declared in a block: the module itself.
    Some(path[..longest].to_vec())
}

/// Strongly connected components of more than one node (Tarjan's algorithm).
fn loops<N: Ord + Clone>(edges: &BTreeMap<N, BTreeSet<N>>) -> Vec<Vec<N>> {
    struct State<N> {
        index: BTreeMap<N, usize>,
        low: BTreeMap<N, usize>,
        stack: Vec<N>,
        on_stack: BTreeSet<N>,
        found: Vec<Vec<N>>,
    }
    fn visit<N: Ord + Clone>(node: &N, edges: &BTreeMap<N, BTreeSet<N>>, state: &mut State<N>) {
        let next = state.index.len();
        state.index.insert(node.clone(), next);
        state.low.insert(node.clone(), next);
        state.stack.push(node.clone());
        state.on_stack.insert(node.clone());
        for target in edges.get(node).into_iter().flatten() {
            if !state.index.contains_key(target) {
                visit(target, edges, state);
                let low = state.low[node].min(state.low[target]);
                state.low.insert(node.clone(), low);
            } else if state.on_stack.contains(target) {
                let low = state.low[node].min(state.index[target]);
                state.low.insert(node.clone(), low);
            }
        }
        if state.low[node] == state.index[node] {
            let mut component = Vec::new();
            while let Some(member) = state.stack.pop() {
                state.on_stack.remove(&member);
                let done = &member == node;
                component.push(member);
                if done {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                state.found.push(component);
            }
        }
    }
    let mut state = State {
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in edges.keys() {
        if !state.index.contains_key(node) {
            visit(node, edges, &mut state);
        }
    }
    state.found
}

/// One crate's imports: between files, and between top-level modules, each edge with one
/// reason (the path that made it).
struct Graph {
    files: BTreeMap<ModPath, BTreeSet<ModPath>>,
    modules: BTreeMap<String, BTreeSet<String>>,
    why: HashMap<(ModPath, ModPath), String>,
}

fn graph(crate_root: &str) -> Graph {
    graph_at(&workspace().join(crate_root))
}

fn graph_at(root: &Path) -> Graph {
    let root = root.to_path_buf();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    // A binary beside a library reaches it by the crate's name, never by `crate::`.
    if files
        .iter()
        .any(|f| f.ends_with("lib.rs") && f.parent() == Some(&*root))
    {
        files.retain(|f| f != &root.join("main.rs"));
    }
    let read: BTreeMap<ModPath, Module> = files.iter().map(|f| read_module(&root, f)).collect();
    let mut graph = Graph {
        files: BTreeMap::new(),
        modules: BTreeMap::new(),
        why: HashMap::new(),
    };
    for (at, module) in &read {
        for used in &module.uses {
            let Some(target) = defining_module(&read, used, 0) else {
                continue;
            };
            if &target == at || target.is_empty() || at.is_empty() {
                continue;
            }
            graph
                .why
                .entry((at.clone(), target.clone()))
                .or_insert_with(|| used.join("::"));
            graph.files.entry(at.clone()).or_default().insert(target.clone());
            if at[0] != target[0] {
                graph
                    .modules
                    .entry(at[0].clone())
                    .or_default()
                    .insert(target[0].clone());
                graph
                    .why
                    .entry((vec![at[0].clone()], vec![target[0].clone()]))
                    .or_insert_with(|| format!("{} uses {}", read[at].file.display(), used.join("::")));
            }
        }
    }
    graph
}

/// Per crate: the loops of the file graph and of the top-level-module graph, with what ties them.
fn import_loops() -> Vec<String> {
    let mut report = Vec::new();
    for crate_root in CRATES {
        let Graph {
            files: file_edges,
            modules: top_edges,
            why,
        } = graph(crate_root);
        for component in loops(&file_edges) {
            let members: BTreeSet<&ModPath> = component.iter().collect();
            let ties: Vec<String> = why
                .iter()
                .filter(|((from, to), _)| members.contains(from) && members.contains(to))
                .map(|((from, to), name)| format!("    {} -> {}: {name}", from.join("::"), to.join("::")))
                .collect();
            report.push(format!(
                "{crate_root}: files import each other in a loop:\n{}",
                ties.join("\n")
            ));
        }
        for component in loops(&top_edges) {
            let members: BTreeSet<&String> = component.iter().collect();
            let ties: Vec<String> = why
                .iter()
                .filter(|((from, to), _)| {
                    from.len() == 1 && to.len() == 1 && members.contains(&from[0]) && members.contains(&to[0])
                })
                .map(|((from, to), name)| format!("    {} -> {}: {name}", from[0], to[0]))
                .collect();
            report.push(format!(
                "{crate_root}: modules {} reach each other:\n{}",
                component.join(", "),
                ties.join("\n")
            ));
        }
    }
    report
}

#[test]
fn no_file_or_module_imports_anything_that_imports_it_back() {
    let report = import_loops();
    assert!(report.is_empty(), "import loops:\n{}", report.join("\n"));
}

/// Lines a product file may hold, and a test file (`tests/`): a file past them mixes things
/// that belong in rooms of their own.
const MAX_PRODUCT_LINES: usize = 400;
const MAX_TEST_LINES: usize = 600;

#[test]
fn no_product_file_is_over_400_lines_and_no_test_file_over_600() {
    let mut files = Vec::new();
    for crate_root in CRATES
        .iter()
        .chain(["tests/src", "tests/tests", "bench/benches", "bench/mqtt-load/src"].iter())
    {
        rust_files(&workspace().join(crate_root), &mut files);
    }
    let too_long: Vec<String> = files
        .iter()
        .filter_map(|file| {
            let lines = fs::read_to_string(file)
                .expect("a readable source file")
                .lines()
                .count();
            let limit = if file.starts_with(workspace().join("tests")) {
                MAX_TEST_LINES
            } else {
                MAX_PRODUCT_LINES
            };
            (lines > limit).then(|| format!("{} has {lines} lines (at most {limit})", file.display()))
        })
        .collect();
    assert!(too_long.is_empty(), "files over their limit:\n{}", too_long.join("\n"));
}

#[test]
fn a_loop_through_a_folders_face_and_a_child_named_without_crate_is_seen() {
    // `tree/mod.rs` hands on `a::A`; `b` uses it through the face, and `a` names its sibling
    // `b` through `super::`; `tree/c.rs` is only read past a test-only import.
    let root = std::env::temp_dir().join(format!("stratum-layers-{}", std::process::id()));
    let tree = root.join("tree");
    fs::create_dir_all(&tree).expect("a scratch folder");
    let files = [
        ("lib.rs", "mod tree;\n"),
        ("tree/mod.rs", "mod a;\nmod b;\nmod c;\n\npub use a::A;\nuse b::B;\n"),
        ("tree/a.rs", "use super::b::B;\n\npub struct A(B);\n"),
        ("tree/b.rs", "use super::A;\n\npub struct B(Box<A>);\n"),
        ("tree/c.rs", "#[cfg(test)]\nuse super::A;\n\npub struct C;\n"),
    ];
    for (name, text) in files {
        fs::write(root.join(name), text).expect("a scratch file");
    }
    let found = graph_at(&root);
    fs::remove_dir_all(&root).expect("the scratch folder goes");
    let a: ModPath = vec!["tree".into(), "a".into()];
    let b: ModPath = vec!["tree".into(), "b".into()];
    assert_eq!(loops(&found.files), vec![vec![a.clone(), b]]);
    let c: ModPath = vec!["tree".into(), "c".into()];
    assert!(
        !found.files.get(&c).is_some_and(|targets| targets.contains(&a)),
        "a test-only import is not read"
    );
}

#[test]
fn the_loop_check_sees_a_loop_written_for_it() {
    let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    edges.entry("audit").or_default().insert("identity");
    edges.entry("identity").or_default().insert("keys");
    edges.entry("keys").or_default().insert("audit");
    edges.entry("ids").or_default().insert("schema");
    assert_eq!(loops(&edges), vec![vec!["audit", "identity", "keys"]]);
    let mut leaves = Vec::new();
    expand_tree("crate::a::{B, c::{d, E as F}, g::*}", &[], &mut leaves);
    let written: Vec<String> = leaves.iter().map(|(p, a)| format!("{}={a}", p.join("::"))).collect();
    assert_eq!(
        written,
        [
            "crate::a::B=B",
            "crate::a::c::d=d",
            "crate::a::c::E=F",
            "crate::a::g::*=*"
        ]
    );
}
