//! Integration tests: the real binary and client against the simulator over HTTP.

mod sim;
