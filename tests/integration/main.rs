//! Integration tests: the real binary and client against the simulator over HTTP.

mod action;
mod apply;
mod cli;
mod client;
mod export;
mod plan;
mod secrets;
mod sim;
mod support;
