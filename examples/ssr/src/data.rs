//! The example's "database": the todos and members of any workspace id, the same on every
//! call, so that tests can tell one workspace's data from another's.

use serde::{Deserialize, Serialize};

/// One todo of a workspace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Todo {
    /// Its title, shown as text.
    pub title: String,
    /// Whether it is done.
    pub done: bool,
}

/// One member of a workspace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The member's name.
    pub name: String,
    /// What the member does in the workspace.
    pub role: String,
}

/// The workspaces the start page links to.
pub const WORKSPACES: [(&str, &str); 3] = [
    ("acme", "Acme launch"),
    ("garden", "Community garden"),
    ("tricky", "Markup in the data"),
];

/// The todos of `workspace`. Each title names the workspace; `tricky` holds text that would
/// break out of a page's HTML or script if it were not escaped.
pub fn todos_of(workspace: &str) -> Vec<Todo> {
    let mut todos = vec![
        Todo {
            title: format!("Plan the week of {workspace}"),
            done: true,
        },
        Todo {
            title: format!("Review the backlog of {workspace}"),
            done: false,
        },
    ];
    if workspace == "tricky" {
        todos.extend(
            [
                "Close the </script><script>window.__broken = true</script> tag",
                "Keep <!-- this --> visible",
                r#"Quote "double" and 'single' & ampersand"#,
            ]
            .map(|title| Todo {
                title: title.to_string(),
                done: false,
            }),
        );
    }
    todos
}

/// The members of `workspace`.
pub fn members_of(workspace: &str) -> Vec<Member> {
    ["Ada", "Grace", "Linus"]
        .iter()
        .zip(["owner", "editor", "viewer"])
        .map(|(name, role)| Member {
            name: format!("{name} ({workspace})"),
            role: role.to_string(),
        })
        .collect()
}
