//! [`RegistryError`]: why a store could not be handed out.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

/// Why [`get_or_load`](crate::StoreRegistry::get_or_load) could not hand out a store.
///
/// A failed load is cached: every caller gets [`RegistryError::Load`] with the *same* `Arc<E>`
/// until the entry ends (its cache time runs out, or it is
/// [invalidated](crate::StoreRegistry::invalidate)).
///
/// ```
/// use std::sync::Arc;
/// use registry_core::RegistryError;
///
/// let err: RegistryError<std::io::Error> = RegistryError::Load(Arc::new(std::io::Error::other("offline")));
/// assert_eq!(err.to_string(), "the store failed to load: offline");
/// assert!(std::error::Error::source(&err).is_some());
/// ```
#[non_exhaustive]
pub enum RegistryError<E> {
    /// The loader returned an error. The same `Arc` is handed to every caller.
    Load(Arc<E>),
    /// The load was abandoned because its entry ended before it finished: its cache time ran
    /// out while nothing held it, or the runtime could not spawn the task that drives it.
    Cancelled,
    /// The registry is disposed: it hands out no stores any more.
    Disposed,
    /// The loader panicked; the message is the panic's payload when it was a string.
    ///
    /// Only seen where panics unwind (native targets); on wasm32 a panic aborts the module.
    LoaderPanicked(Arc<str>),
}

impl<E> Clone for RegistryError<E> {
    fn clone(&self) -> Self {
        match self {
            Self::Load(e) => Self::Load(Arc::clone(e)),
            Self::Cancelled => Self::Cancelled,
            Self::Disposed => Self::Disposed,
            Self::LoaderPanicked(m) => Self::LoaderPanicked(Arc::clone(m)),
        }
    }
}

impl<E: fmt::Debug> fmt::Debug for RegistryError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Load(e) => f.debug_tuple("Load").field(e).finish(),
            Self::Cancelled => f.write_str("Cancelled"),
            Self::Disposed => f.write_str("Disposed"),
            Self::LoaderPanicked(m) => f.debug_tuple("LoaderPanicked").field(m).finish(),
        }
    }
}

impl<E: fmt::Display> fmt::Display for RegistryError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Load(e) => write!(f, "the store failed to load: {e}"),
            Self::Cancelled => {
                f.write_str("the store's load was cancelled because its entry was disposed")
            }
            Self::Disposed => f.write_str("the store registry is disposed"),
            Self::LoaderPanicked(m) => write!(f, "the store's loader panicked: {m}"),
        }
    }
}

impl<E: Error + 'static> Error for RegistryError<E> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::Load(e) => Some(&**e),
            _ => None,
        }
    }
}

impl<E> RegistryError<E> {
    /// The loader's error, when this is [`RegistryError::Load`].
    pub fn load_error(&self) -> Option<&Arc<E>> {
        match self {
            Self::Load(e) => Some(e),
            _ => None,
        }
    }
}

impl<E> PartialEq for RegistryError<E> {
    /// Two errors are equal when they are the same variant and, for [`RegistryError::Load`],
    /// the very same cached `Arc` (compared by pointer, so `E` needs no `PartialEq`).
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Load(a), Self::Load(b)) => Arc::ptr_eq(a, b),
            (Self::Cancelled, Self::Cancelled) | (Self::Disposed, Self::Disposed) => true,
            (Self::LoaderPanicked(a), Self::LoaderPanicked(b)) => a == b,
            _ => false,
        }
    }
}
