//! vapiform keeps a Vapi account's phone-number routing, and the assistant of every business
//! that owns a number, equal to one reviewed YAML file: `plan` shows what would change,
//! `apply` makes the changes and proves each one by reading it back.

pub mod desired;
pub mod exit;
