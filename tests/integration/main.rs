//! Integration tests: the real binary and client against the simulator over HTTP.

mod apply;
mod cli;
mod client;
mod contract;
mod export;
mod files;
mod hostile;
mod input;
mod live;
mod plan;
mod secrets;
mod sim;
mod support;
mod targets;
mod telnyx;
mod untrusted;
