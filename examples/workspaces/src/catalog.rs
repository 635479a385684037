//! The workspaces this browser knows: a few to start with, plus the ones created or opened here
//! (kept in `localStorage`).

/// The workspaces every browser starts with: two plain ones, one that fails its first boot in
/// each page session, one that always fails.
pub const STARTERS: &[&str] = &["acme", "garden", "flaky-sync", "fail-archive"];

const KEY: &str = "store-registry-demo/workspaces";

/// A workspace id made of `name`: lowercase letters, digits and dashes.
pub fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The starters, then the workspaces created or opened in this browser, oldest first.
pub fn known() -> Vec<String> {
    let mut ids: Vec<String> = STARTERS.iter().map(|id| (*id).to_owned()).collect();
    let created = storage()
        .and_then(|storage| storage.get_item(KEY).ok().flatten())
        .unwrap_or_default();
    for id in created.lines() {
        if !id.is_empty() && !ids.iter().any(|known| known == id) {
            ids.push(id.to_owned());
        }
    }
    ids
}

/// Remembers workspace `id` in this browser.
pub fn remember(id: &str) {
    let mut created = storage()
        .and_then(|storage| storage.get_item(KEY).ok().flatten())
        .unwrap_or_default();
    if created.lines().any(|known| known == id) || STARTERS.contains(&id) {
        return;
    }
    if !created.is_empty() {
        created.push('\n');
    }
    created.push_str(id);
    if let Some(storage) = storage()
        && storage.set_item(KEY, &created).is_err()
    {
        tracing::warn!(workspace = %id, "localStorage refused to remember the workspace");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_words_joined_by_dashes() {
        assert_eq!(slug("  Team Roadmap 2027! "), "team-roadmap-2027");
        assert_eq!(slug("fail-Demo"), "fail-demo");
        assert_eq!(slug("???"), "");
    }
}
