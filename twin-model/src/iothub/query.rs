//! `POST /devices/query` request and result pages.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::iothub::twin::Twin;
use crate::open_enum::open_enum;

/// Request body of a query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuerySpecification {
    /// `SELECT ... FROM devices ...`.
    pub query: String,
}

open_enum! {
    /// The `x-ms-item-type` response header.
    pub enum QueryItemType {
        /// `SELECT *` rows are twins.
        Twin = "twin",
        /// `devices.jobs` rows.
        DeviceJob = "deviceJob",
        /// Job responses.
        JobResponse = "jobResponse",
        /// Projections and aggregates: plain JSON rows.
        Raw = "raw" | "json",
    }
}

/// The rows of one page.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum QueryItems {
    /// Twins (`SELECT *`).
    Twins(Vec<Twin>),
    /// Plain JSON rows (projections, `GROUP BY`, jobs).
    Rows(Vec<Map<String, Value>>),
}

/// One page of query results with its continuation token.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryPage {
    /// Rows of this page.
    pub items: QueryItems,
    /// `x-ms-continuation` to send for the next page; `None` on the last page.
    pub continuation: Option<String>,
}

impl QueryPage {
    /// Decodes a page from its body and the `x-ms-item-type` and
    /// `x-ms-continuation` headers.
    pub fn decode(
        item_type: &str,
        continuation: Option<&str>,
        body: &[u8],
    ) -> Result<Self, crate::DecodeError> {
        let items = match QueryItemType::from(item_type) {
            QueryItemType::Twin => {
                QueryItems::Twins(crate::decode::from_slice("query twin page", body)?)
            }
            _ => QueryItems::Rows(crate::decode::from_slice("query row page", body)?),
        };
        Ok(Self {
            items,
            continuation: continuation.filter(|c| !c.is_empty()).map(str::to_owned),
        })
    }
}
