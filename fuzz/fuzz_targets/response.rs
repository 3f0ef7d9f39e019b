//! Fuzz target `response`: the bytes a server sends in answer to one request, cut into reads
//! at points the input chooses, through the client's response decoder
//! (`molotov_http::wire::decode_response`). The invariants checked are the property tests':
//! the file below is theirs (`crates/molotov-http/tests/it/harness.rs`), so what the fuzzer
//! checks is compiled and run on stable by `cargo nextest run -p molotov-http` too.

#![no_main]

#[path = "../../crates/molotov-http/tests/it/harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::fuzz_one(data);
});
