pub mod diagnostic;
pub mod model;
pub mod units;
pub mod value;
