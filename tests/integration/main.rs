//! Integration tests: the real binary against the simulator over HTTP.
