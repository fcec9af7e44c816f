//! Integration tests: the real binary against the built-in simulator over real HTTP on
//! 127.0.0.1, the lake read back with the parquet crate. One test binary for link time.

#![allow(unreachable_pub)] // the test binary has no public surface

mod common;

mod archive_local;
mod cli_args;
mod cost_details;
mod crash;
mod exports;
mod failures;
mod history;
mod inputs;
mod logs;
mod memory;
mod recorded;
mod replay;
mod safety;
mod stores;
mod structure;
mod verify;
