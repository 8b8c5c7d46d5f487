//! AST → checked model: names, types, units, exhaustiveness, cycles. Collects every error.

pub mod builtins;
mod check;
mod confusable;
pub mod ir;
pub mod types;

pub use check::{SUGGESTION_BUDGET, check, did_you_mean, walk};
pub use ir::*;
pub use types::*;
mod dump;
pub use dump::dump;
