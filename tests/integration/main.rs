//! Integration tests: the real binary and client against the simulator over HTTP.

mod apply;
mod cli;
mod client;
mod export;
mod files;
mod input;
mod live;
mod plan;
mod secrets;
mod sim;
mod support;
mod untrusted;
