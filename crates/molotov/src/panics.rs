//! Panics in user code while a run lasts (scenarios, fixtures): caught by the engine and
//! counted as failures, so shown here only briefly.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::display::eprint_line;

/// While a run lasts, panics in scenarios and fixtures are caught and counted as failures; the
/// default hook would print a backtrace header for each. Show the first few, briefly, then stay quiet.
pub(crate) struct QuietPanics {
    previous: Option<PanicHook>,
}

type PanicHook = Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Sync + Send>;

impl QuietPanics {
    const SHOWN: u32 = 3;

    pub(crate) fn install() -> QuietPanics {
        let previous = std::panic::take_hook();
        let seen = Arc::new(AtomicU32::new(0));
        std::panic::set_hook(Box::new(move |info| {
            if seen.fetch_add(1, Ordering::Relaxed) < Self::SHOWN {
                let location = info
                    .location()
                    .map(|l| format!(" at {}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                eprint_line(&format!("panic{location} (caught)"));
            }
        }));
        QuietPanics {
            previous: Some(previous),
        }
    }
}

impl Drop for QuietPanics {
    fn drop(&mut self) {
        if let Some(previous) = self.previous.take() {
            std::panic::set_hook(previous);
        }
    }
}
