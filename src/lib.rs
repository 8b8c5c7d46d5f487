//! writ: a declarative policy-as-code engine for government action plans.
//!
//! Pipeline: `grammar/writ.pest` → [`syntax`] → [`model`] → [`facts`] → [`eval`] → [`report`],
//! with [`db`] holding files as salsa inputs and the stages as tracked queries.

pub mod cli;
pub mod coverage;
pub mod db;
pub mod diagnostic;
pub mod diff;
pub mod eval;
pub mod facts;
pub mod format;
pub mod lang;
pub mod lookalike;
pub mod lsp;
pub mod model;
pub mod report;
pub mod script;
pub mod standards;
pub mod stats;
pub mod status;
pub mod syntax;
pub mod testing;
pub mod text;
pub mod time;
pub mod units;
pub mod value;
