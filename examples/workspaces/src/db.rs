//! [`Database`]: one IndexedDB database per workspace, holding its todos, through `web-sys`.
//!
//! A small wrapper: open (creating the `todos` object store on first use), read every todo,
//! write one, close. Each request's `success`/`error` event settles a `Promise` that Rust
//! awaits.

use std::fmt;

use js_sys::{Array, Object, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    IdbDatabase, IdbObjectStoreParameters, IdbOpenDbRequest, IdbRequest, IdbTransactionMode,
};

const TODOS: &str = "todos";

/// One todo, as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Todo {
    /// Unique within its workspace (the object store's key).
    pub id: String,
    /// What to do.
    pub title: String,
    /// Whether it is done.
    pub done: bool,
    /// When it was added (milliseconds since the epoch): the list's order.
    pub created: f64,
}

impl Todo {
    /// A new, open todo with a fresh id.
    pub fn new(title: String) -> Self {
        let created = js_sys::Date::now();
        let salt = (js_sys::Math::random() * 1e9) as u64;
        Self {
            id: format!("{created:.0}-{salt}"),
            title,
            done: false,
            created,
        }
    }

    fn to_js(&self) -> JsValue {
        let object = Object::new();
        for (key, value) in [
            ("id", JsValue::from_str(&self.id)),
            ("title", JsValue::from_str(&self.title)),
            ("done", JsValue::from_bool(self.done)),
            ("created", JsValue::from_f64(self.created)),
        ] {
            // Setting a property of a fresh plain object cannot fail.
            let _ = Reflect::set(&object, &JsValue::from_str(key), &value);
        }
        object.into()
    }

    fn from_js(value: &JsValue) -> Option<Self> {
        let get = |key: &str| Reflect::get(value, &JsValue::from_str(key)).ok();
        Some(Self {
            id: get("id")?.as_string()?,
            title: get("title")?.as_string()?,
            done: get("done")?.as_bool().unwrap_or(false),
            created: get("created")?.as_f64().unwrap_or(0.0),
        })
    }
}

/// Why IndexedDB refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbError(pub String);

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IndexedDB: {}", self.0)
    }
}

impl std::error::Error for DbError {}

impl From<JsValue> for DbError {
    fn from(value: JsValue) -> Self {
        let message = value
            .dyn_ref::<web_sys::DomException>()
            .map(|exception| exception.message())
            .or_else(|| value.as_string())
            .unwrap_or_else(|| format!("{value:?}"));
        Self(message)
    }
}

/// Resolves with the request's result once it succeeds.
async fn settle(request: &IdbRequest) -> Result<JsValue, DbError> {
    let promise = Promise::new(&mut |resolve, reject| {
        let done = request.clone();
        let on_success = Closure::once_into_js(move |_: web_sys::Event| {
            let result = done.result().unwrap_or(JsValue::UNDEFINED);
            let _ = resolve.call1(&JsValue::NULL, &result);
        });
        let failed = request.clone();
        let on_error = Closure::once_into_js(move |_: web_sys::Event| {
            let error = failed
                .error()
                .ok()
                .flatten()
                .map_or(JsValue::from_str("request failed"), JsValue::from);
            let _ = reject.call1(&JsValue::NULL, &error);
        });
        request.set_onsuccess(Some(on_success.unchecked_ref()));
        request.set_onerror(Some(on_error.unchecked_ref()));
    });
    Ok(JsFuture::from(promise).await?)
}

/// An open IndexedDB database of one workspace.
#[derive(Debug)]
pub struct Database {
    db: IdbDatabase,
}

impl Database {
    /// Opens (or creates) the database `name`.
    pub async fn open(name: &str) -> Result<Self, DbError> {
        let window = web_sys::window().ok_or_else(|| DbError("no window".into()))?;
        let factory = window
            .indexed_db()?
            .ok_or_else(|| DbError("IndexedDB is not available".into()))?;
        let request: IdbOpenDbRequest = factory.open_with_u32(name, 1)?;
        let upgrading = request.clone();
        let on_upgrade = Closure::once_into_js(move |_: web_sys::Event| {
            if let Ok(db) = upgrading.result() {
                let db: IdbDatabase = db.unchecked_into();
                let parameters = IdbObjectStoreParameters::new();
                parameters.set_key_path(&JsValue::from_str("id"));
                let _ = db.create_object_store_with_optional_parameters(TODOS, &parameters);
            }
        });
        request.set_onupgradeneeded(Some(on_upgrade.unchecked_ref()));
        let db = settle(&request).await?;
        Ok(Self {
            db: db.unchecked_into(),
        })
    }

    /// Every todo, oldest first.
    pub async fn todos(&self) -> Result<Vec<Todo>, DbError> {
        let store = self.db.transaction_with_str(TODOS)?.object_store(TODOS)?;
        let all: Array = settle(&store.get_all()?).await?.unchecked_into();
        let mut todos: Vec<Todo> = all
            .iter()
            .filter_map(|value| Todo::from_js(&value))
            .collect();
        todos.sort_by(|a, b| a.created.total_cmp(&b.created));
        Ok(todos)
    }

    /// Writes `todo` (a new one, or a new version of one).
    pub async fn put(&self, todo: &Todo) -> Result<(), DbError> {
        let store = self
            .db
            .transaction_with_str_and_mode(TODOS, IdbTransactionMode::Readwrite)?
            .object_store(TODOS)?;
        settle(&store.put(&todo.to_js())?).await?;
        Ok(())
    }

    /// Closes the connection.
    pub fn close(&self) {
        self.db.close();
    }
}
