//! Integration tests: the real binary and client against the simulator over HTTP.

mod apply;
mod cli;
mod client;
mod export;
mod faults;
mod fixtures;
mod masking;
mod pace;
mod plan;
mod safety;
mod secrets;
mod sim;
mod support;
mod verify;
