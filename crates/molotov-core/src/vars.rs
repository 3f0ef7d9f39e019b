//! [`Vars`]: values shared by every fixture and scenario of a run, Molotov's
//! `set_var`/`get_var`.
//!
//! Owned by the run (no global state): fixtures and sessions reach it through
//! [`RunInfo`](crate::RunInfo) and [`Session::vars`](crate::Session::vars).

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

type Value = Arc<dyn Any + Send + Sync>;

/// Named values of any type. Cheap to clone; clones share the values.
///
/// ```
/// use molotov_core::Vars;
/// let vars = Vars::default();
/// vars.set("token", String::from("abc"));
/// assert_eq!(vars.get::<String>("token").as_deref().map(String::as_str), Some("abc"));
/// assert_eq!(*vars.get_or_insert_with("hits", || 0u32), 0);
/// assert!(vars.get::<u64>("token").is_none(), "a value of another type is not returned");
/// ```
#[derive(Clone, Default)]
pub struct Vars {
    map: Arc<Mutex<HashMap<String, Value>>>,
}

impl Vars {
    /// Sets `name` to `value`, replacing any previous value.
    pub fn set<T: Any + Send + Sync>(&self, name: impl Into<String>, value: T) {
        self.lock().insert(name.into(), Arc::new(value));
    }

    /// The value of `name` if it is set and is a `T`.
    pub fn get<T: Any + Send + Sync>(&self, name: &str) -> Option<Arc<T>> {
        self.lock().get(name).cloned()?.downcast::<T>().ok()
    }

    /// The value of `name`; if it is not set, sets it to `factory()` first. If it is set to a
    /// value of another type, it is replaced.
    pub fn get_or_insert_with<T: Any + Send + Sync>(
        &self,
        name: &str,
        factory: impl FnOnce() -> T,
    ) -> Arc<T> {
        let mut map = self.lock();
        if let Some(value) = map.get(name).cloned().and_then(|v| v.downcast::<T>().ok()) {
            return value;
        }
        let value = Arc::new(factory());
        map.insert(name.to_owned(), value.clone());
        value
    }

    /// Whether `name` is set.
    pub fn contains(&self, name: &str) -> bool {
        self.lock().contains_key(name)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Value>> {
        // A panic while holding the lock cannot leave the map half-updated (each operation is
        // one insert or get), so a poisoned lock is still consistent.
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for Vars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.lock().keys()).finish()
    }
}
