//! Integration tests: the real binary and client against the simulator over HTTP.

mod action;
mod apply;
mod cli;
mod client;
mod contract;
mod export;
mod faults;
mod files;
mod fixtures;
mod hostile;
mod input;
mod live;
mod masking;
mod pace;
mod plan;
mod routing;
mod safety;
mod secrets;
mod sim;
mod support;
mod targets;
mod telnyx;
mod untrusted;
mod verify;
