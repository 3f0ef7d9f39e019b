//! The engine's runtime: a tokio `current_thread` runtime on the calling thread, with the
//! host's park hooks.

use crate::app::HostHooks;

/// The runtime a run (or a worker process) is driven by.
pub(crate) fn build(hooks: &HostHooks) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_current_thread();
    builder.enable_all();
    if let Some(f) = hooks.before_park.clone() {
        builder.on_thread_park(move || f());
    }
    if let Some(f) = hooks.after_unpark.clone() {
        builder.on_thread_unpark(move || f());
    }
    builder.build()
}
