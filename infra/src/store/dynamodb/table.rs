//! The table's definition, for tests and local tooling; on AWS, `template.yaml` creates it
//! with the same keys and indexes.

use super::codec::{GSI1PK, GSI1SK, GSI2PK, GSI2SK, PK, SK, TTL, index_name};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TimeToLiveSpecification,
};
use stratum_shared::store::{Index, StoreError};

fn key_schema(pk: &str, sk: &str) -> Vec<KeySchemaElement> {
    [(pk, KeyType::Hash), (sk, KeyType::Range)]
        .into_iter()
        .map(|(name, kind)| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .expect("complete")
        })
        .collect()
}

/// Creates the single table (on-demand, two GSIs projecting everything, TTL on `ttl`).
pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
    let failed = |e: &dyn std::fmt::Display| StoreError::Unavailable(e.to_string());
    let definitions = [PK, SK, GSI1PK, GSI1SK, GSI2PK, GSI2SK].map(|name| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("complete")
    });
    let indexes = [(Index::Gsi1, GSI1PK, GSI1SK), (Index::Gsi2, GSI2PK, GSI2SK)].map(|(index, pk, sk)| {
        GlobalSecondaryIndex::builder()
            .index_name(index_name(index).expect("a GSI has a name"))
            .set_key_schema(Some(key_schema(pk, sk)))
            .projection(Projection::builder().projection_type(ProjectionType::All).build())
            .build()
            .expect("complete")
    });
    client
        .create_table()
        .table_name(table)
        .set_attribute_definitions(Some(definitions.into()))
        .set_key_schema(Some(key_schema(PK, SK)))
        .set_global_secondary_indexes(Some(indexes.into()))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .map_err(|e| failed(&DisplayErrorContext(e)))?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(TTL)
                .enabled(true)
                .build()
                .expect("complete"),
        )
        .send()
        .await
        .map_err(|e| failed(&DisplayErrorContext(e)))?;
    Ok(())
}
