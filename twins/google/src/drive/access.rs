//! Who may do what to a file, computed on every request from the state: the owner,
//! the file's and its ancestors' permissions (user, group — the fixture's groups —,
//! domain, anyone), and a shared drive's members. Nothing is cached or stored per
//! request, so a change of group membership or a share takes effect at once.

use chrono::{DateTime, Utc};

use crate::drive::model::{File, Grantee, Permission, Role, SharedDrive};
use crate::model::{GoogleState, User};

/// The deepest folder chain walked (Drive allows far fewer levels in practice).
pub const MAX_DEPTH: usize = 100;

/// The caller, with the groups and domain its permissions may come through.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub email: String,
    pub domain: String,
    pub groups: Vec<String>,
    pub permission_id: String,
    pub root_id: String,
    /// The universe's time: a permission past its `expirationTime` gives nothing.
    pub now: Option<DateTime<Utc>>,
}

impl Viewer {
    pub fn of(state: &GoogleState, user: &User) -> Self {
        Viewer {
            email: user.email.clone(),
            domain: GoogleState::domain_of(&user.email).to_string(),
            groups: state.groups_of(&user.email).map(|g| g.email.clone()).collect(),
            permission_id: user.permission_id.clone(),
            root_id: user.root_id.clone(),
            now: None,
        }
    }

    pub fn at(mut self, now: DateTime<Utc>) -> Self {
        self.now = Some(now);
        self
    }

    /// The role one permission gives this viewer. With `search`, link-only
    /// domain and anyone permissions give nothing (the file is not discoverable).
    pub fn through(&self, p: &Permission, search: bool) -> Option<Role> {
        self.through_in(p, if search { Reach::Discoverable } else { Reach::Link })
    }

    /// The role one permission gives this viewer within `reach`.
    pub fn through_in(&self, p: &Permission, reach: Reach) -> Option<Role> {
        let applies = match p.grantee {
            Grantee::User => p.email.as_deref() == Some(self.email.as_str()),
            Grantee::Group => p.email.as_deref().is_some_and(|e| self.groups.iter().any(|g| g == e)),
            Grantee::Domain => match reach {
                Reach::Direct => false,
                Reach::Discoverable => p.allow_file_discovery && p.domain.as_deref() == Some(self.domain.as_str()),
                Reach::Link => p.domain.as_deref() == Some(self.domain.as_str()),
            },
            Grantee::Anyone => match reach {
                Reach::Direct => false,
                Reach::Discoverable => p.allow_file_discovery,
                Reach::Link => true,
            },
        };
        let expired = matches!((p.expiration_time, self.now), (Some(t), Some(now)) if t <= now);
        (applies && !expired).then_some(p.role)
    }

    fn best(&self, perms: &[Permission], reach: Reach) -> Option<Role> {
        perms.iter().filter_map(|p| self.through_in(p, reach)).max()
    }
}

/// How a viewer may come to a file: by the owner's, a person's or a group's permission
/// (`Direct`: the `user` corpus of files.list), also by a domain or anyone permission
/// that allows discovery (`Discoverable`: the `domain` corpus), or by any link (`Link`:
/// opening a file by its id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    Direct,
    Discoverable,
    Link,
}

pub fn drive_role(drive: &SharedDrive, viewer: &Viewer) -> Option<Role> {
    viewer.best(&drive.permissions, Reach::Link)
}

/// The viewer's role on `file`, inherited through its folders and its shared drive;
/// with `search`, only through permissions that let the file be found.
pub fn role(state: &GoogleState, file: &File, viewer: &Viewer, search: bool) -> Option<Role> {
    role_in(state, file, viewer, if search { Reach::Discoverable } else { Reach::Link })
}

/// [`role`] within a [`Reach`].
pub fn role_in(state: &GoogleState, file: &File, viewer: &Viewer, reach: Reach) -> Option<Role> {
    let mut best: Option<Role> = None;
    let mut current = file;
    for _ in 0..MAX_DEPTH {
        if current.owner.as_deref() == Some(viewer.email.as_str()) {
            return Some(Role::Owner);
        }
        best = best.max(viewer.best(&current.permissions, reach));
        let Some(parent) = current.parents.first() else { break };
        if let Some(drive) = state.drive.drives.get(parent) {
            best = best.max(viewer.best(&drive.permissions, reach));
            break;
        }
        match state.drive.files.get(parent) {
            Some(p) => current = p,
            None => break,
        }
    }
    best
}

/// Shared with the viewer directly (not owned, not in a shared drive, a permission
/// on the file itself names the viewer or one of its groups).
pub fn shared_with_me(file: &File, viewer: &Viewer) -> bool {
    file.owner.is_some()
        && file.owner.as_deref() != Some(viewer.email.as_str())
        && file.permissions.iter().any(|p| {
            matches!(p.grantee, Grantee::User | Grantee::Group)
                && p.role != Role::Owner
                && viewer.through(p, true).is_some()
        })
}

/// What the viewer may do, as `capabilities` reports it and handlers enforce it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Can {
    pub role: Role,
    pub in_shared_drive: bool,
    pub writers_can_share: bool,
}

impl Can {
    pub fn edit(&self) -> bool {
        self.role >= Role::Writer
    }
    pub fn comment(&self) -> bool {
        self.role >= Role::Commenter
    }
    pub fn share(&self) -> bool {
        self.role >= Role::FileOrganizer
            || (self.role == Role::Writer && (self.writers_can_share || self.in_shared_drive))
    }
    /// Delete for good (owner in My Drive; organizer in a shared drive).
    pub fn delete(&self) -> bool {
        if self.in_shared_drive {
            self.role >= Role::Organizer
        } else {
            self.role == Role::Owner
        }
    }
    pub fn trash(&self) -> bool {
        if self.in_shared_drive {
            self.role >= Role::FileOrganizer
        } else {
            self.role == Role::Owner
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drive::model::{Content, FOLDER};
    use crate::model::Group;
    use chrono::Utc;
    use twin_core::store::Collection;

    fn user(email: &str) -> User {
        User {
            email: email.into(),
            key: email.split('@').next().unwrap_or_default().into(),
            given_name: "A".into(),
            family_name: "B".into(),
            permission_id: format!("p-{email}"),
            root_id: format!("root-{email}"),
            active: true,
            sub: "1".into(),
        }
    }

    fn file(id: &str, owner: Option<&str>, parent: Option<&str>, perms: Vec<Permission>) -> File {
        let now = Utc::now();
        File {
            id: id.into(),
            name: id.into(),
            mime_type: FOLDER.into(),
            description: None,
            parents: parent.map(|p| vec![p.to_string()]).unwrap_or_default(),
            owner: owner.map(str::to_string),
            drive_id: None,
            starred: false,
            trashed: false,
            explicitly_trashed: false,
            trashed_time: None,
            trashing_user: None,
            properties: Default::default(),
            app_properties: Default::default(),
            created_time: now,
            modified_time: now,
            version: 1,
            last_modifying_user: None,
            permissions: perms,
            content: Content::None,
            revisions: vec![],
            original_filename: None,
            writers_can_share: true,
            copy_requires_writer_permission: false,
            is_root: false,
            shortcut_target: None,
        }
    }

    fn perm(grantee: Grantee, role: Role, email: Option<&str>, domain: Option<&str>, discover: bool) -> Permission {
        Permission {
            id: "x".into(),
            grantee,
            role,
            email: email.map(str::to_string),
            domain: domain.map(str::to_string),
            allow_file_discovery: discover,
            expiration_time: None,
            pending_owner: false,
        }
    }

    fn state() -> GoogleState {
        let mut users = Collection::default();
        for e in ["ann@a.test", "bob@a.test", "eve@b.test"] {
            users.insert(e.to_string(), user(e));
        }
        let mut groups = Collection::default();
        groups.insert(
            "eng@a.test".to_string(),
            Group {
                email: "eng@a.test".into(),
                name: "Eng".into(),
                members: vec!["bob@a.test".into()],
                permission_id: "g".into(),
            },
        );
        let mut s = crate::seed::empty_state("a.test", "A");
        s.users = users;
        s.groups = groups;
        s
    }

    #[test]
    fn owner_group_domain_anyone_and_inheritance() {
        let mut s = state();
        let folder = file(
            "F",
            Some("ann@a.test"),
            None,
            vec![perm(Grantee::Group, Role::Writer, Some("eng@a.test"), None, false)],
        );
        let child = file("C", Some("ann@a.test"), Some("F"), vec![]);
        let link =
            file("L", Some("ann@a.test"), None, vec![perm(Grantee::Domain, Role::Reader, None, Some("a.test"), false)]);
        let public =
            file("P", Some("ann@a.test"), None, vec![perm(Grantee::Anyone, Role::Commenter, None, None, true)]);
        for f in [&folder, &child, &link, &public] {
            s.drive.files.insert(f.id.clone(), f.clone());
        }
        let ann = Viewer::of(&s, &user("ann@a.test"));
        let bob = Viewer::of(&s, &user("bob@a.test"));
        let eve = Viewer::of(&s, &user("eve@b.test"));
        assert_eq!(role(&s, &child, &ann, false), Some(Role::Owner));
        assert_eq!(role(&s, &child, &bob, false), Some(Role::Writer), "inherited through the group's folder share");
        assert_eq!(role(&s, &child, &eve, false), None);
        assert_eq!(role(&s, &link, &bob, false), Some(Role::Reader));
        assert_eq!(role(&s, &link, &bob, true), None, "link-only shares are not found by search");
        assert_eq!(role(&s, &link, &eve, false), None, "another domain");
        assert_eq!(role(&s, &public, &eve, true), Some(Role::Commenter));
        assert_eq!(role_in(&s, &public, &eve, Reach::Direct), None, "not in the user corpus");
        assert_eq!(role_in(&s, &child, &bob, Reach::Direct), Some(Role::Writer), "a group share is direct");
        assert!(shared_with_me(&folder, &bob));
        let mut expiring = perm(Grantee::User, Role::Reader, Some("eve@b.test"), None, false);
        expiring.expiration_time = Some(Utc::now());
        let lent = file("E", Some("ann@a.test"), None, vec![expiring]);
        assert_eq!(role(&s, &lent, &eve, false), Some(Role::Reader));
        let later = Viewer::of(&s, &user("eve@b.test")).at(Utc::now() + chrono::Duration::seconds(1));
        assert_eq!(role(&s, &lent, &later, false), None, "an expired permission gives nothing");
        assert!(!shared_with_me(&folder, &ann));
        assert!(!shared_with_me(&link, &bob));
    }

    #[test]
    fn shared_drive_members_reach_its_files() {
        let mut s = state();
        let drive = SharedDrive {
            id: "0AD".into(),
            name: "Eng".into(),
            created_time: Utc::now(),
            permissions: vec![perm(Grantee::User, Role::FileOrganizer, Some("bob@a.test"), None, false)],
            hidden: false,
            request_id: None,
            color_rgb: None,
        };
        s.drive.drives.insert(drive.id.clone(), drive);
        let mut f = file("S", None, Some("0AD"), vec![]);
        f.drive_id = Some("0AD".into());
        s.drive.files.insert("S".into(), f.clone());
        let bob = Viewer::of(&s, &user("bob@a.test"));
        let ann = Viewer::of(&s, &user("ann@a.test"));
        assert_eq!(role(&s, &f, &bob, false), Some(Role::FileOrganizer));
        assert_eq!(role(&s, &f, &ann, false), None);
        let can = Can { role: Role::FileOrganizer, in_shared_drive: true, writers_can_share: true };
        assert!(can.trash() && !can.delete() && can.share());
        let writer = Can { role: Role::Writer, in_shared_drive: false, writers_can_share: false };
        assert!(writer.edit() && !writer.share() && !writer.trash());
    }
}
