//! A regression guard on the size of a request future: ten thousand workers each hold one.

use crate::support::{client, get};

/// The most a `Client::send` future may take.
const MAX_FUTURE: usize = 2048;

#[test]
fn the_send_future_stays_small() {
    let client = client();
    let req = get("http://127.0.0.1:1/");
    let future = client.send(&req);
    let size = std::mem::size_of_val(&future);
    println!("Client::send future: {size} bytes");
    assert!(size < MAX_FUTURE, "Client::send future is {size} bytes");
}
