//! The twin's own description of Drive's resources: each schema's fields and their
//! types. One table serves the `fields` selector (an unknown name is a 400) and the
//! `schemas` of the discovery document the twin serves.

/// A field's type: `string`, `int64` (a JSON string), `integer`, `boolean`,
/// `date-time`, `map` (string values), `any` (a free object), `#Name` (a schema),
/// `[t]` (an array of t).
pub type Field = (&'static str, &'static str);

pub const USER: &[Field] = &[
    ("kind", "string"),
    ("displayName", "string"),
    ("photoLink", "string"),
    ("me", "boolean"),
    ("permissionId", "string"),
    ("emailAddress", "string"),
];

pub const FILE: &[Field] = &[
    ("kind", "string"),
    ("id", "string"),
    ("name", "string"),
    ("mimeType", "string"),
    ("description", "string"),
    ("starred", "boolean"),
    ("trashed", "boolean"),
    ("explicitlyTrashed", "boolean"),
    ("trashingUser", "#User"),
    ("trashedTime", "date-time"),
    ("parents", "[string]"),
    ("properties", "map"),
    ("appProperties", "map"),
    ("spaces", "[string]"),
    ("version", "int64"),
    ("webContentLink", "string"),
    ("webViewLink", "string"),
    ("iconLink", "string"),
    ("hasThumbnail", "boolean"),
    ("thumbnailLink", "string"),
    ("thumbnailVersion", "int64"),
    ("viewedByMe", "boolean"),
    ("viewedByMeTime", "date-time"),
    ("createdTime", "date-time"),
    ("modifiedTime", "date-time"),
    ("modifiedByMeTime", "date-time"),
    ("modifiedByMe", "boolean"),
    ("sharedWithMeTime", "date-time"),
    ("sharingUser", "#User"),
    ("owners", "[#User]"),
    ("driveId", "string"),
    ("teamDriveId", "string"),
    ("lastModifyingUser", "#User"),
    ("shared", "boolean"),
    ("ownedByMe", "boolean"),
    ("capabilities", "any"),
    ("viewersCanCopyContent", "boolean"),
    ("copyRequiresWriterPermission", "boolean"),
    ("writersCanShare", "boolean"),
    ("permissions", "[#Permission]"),
    ("permissionIds", "[string]"),
    ("hasAugmentedPermissions", "boolean"),
    ("folderColorRgb", "string"),
    ("originalFilename", "string"),
    ("fullFileExtension", "string"),
    ("fileExtension", "string"),
    ("md5Checksum", "string"),
    ("sha1Checksum", "string"),
    ("sha256Checksum", "string"),
    ("size", "int64"),
    ("quotaBytesUsed", "int64"),
    ("headRevisionId", "string"),
    ("contentHints", "any"),
    ("imageMediaMetadata", "any"),
    ("videoMediaMetadata", "any"),
    ("isAppAuthorized", "boolean"),
    ("exportLinks", "map"),
    ("shortcutDetails", "any"),
    ("contentRestrictions", "[any]"),
    ("resourceKey", "string"),
    ("linkShareMetadata", "any"),
    ("labelInfo", "any"),
    ("inheritedPermissionsDisabled", "boolean"),
    ("downloadRestrictions", "any"),
];

pub const FILE_LIST: &[Field] =
    &[("kind", "string"), ("nextPageToken", "string"), ("incompleteSearch", "boolean"), ("files", "[#File]")];

pub const PERMISSION: &[Field] = &[
    ("kind", "string"),
    ("id", "string"),
    ("type", "string"),
    ("emailAddress", "string"),
    ("domain", "string"),
    ("role", "string"),
    ("view", "string"),
    ("allowFileDiscovery", "boolean"),
    ("displayName", "string"),
    ("photoLink", "string"),
    ("expirationTime", "date-time"),
    ("teamDrivePermissionDetails", "[any]"),
    ("permissionDetails", "[any]"),
    ("deleted", "boolean"),
    ("pendingOwner", "boolean"),
    ("inheritedPermissionsDisabled", "boolean"),
];

pub const PERMISSION_LIST: &[Field] =
    &[("kind", "string"), ("nextPageToken", "string"), ("permissions", "[#Permission]")];

pub const ABOUT: &[Field] = &[
    ("kind", "string"),
    ("user", "#User"),
    ("storageQuota", "any"),
    ("importFormats", "any"),
    ("exportFormats", "any"),
    ("maxImportSizes", "any"),
    ("maxUploadSize", "int64"),
    ("appInstalled", "boolean"),
    ("folderColorPalette", "[string]"),
    ("driveThemes", "[any]"),
    ("canCreateDrives", "boolean"),
    ("canCreateTeamDrives", "boolean"),
    ("teamDriveThemes", "[any]"),
];

pub const DRIVE: &[Field] = &[
    ("kind", "string"),
    ("id", "string"),
    ("name", "string"),
    ("themeId", "string"),
    ("colorRgb", "string"),
    ("backgroundImageFile", "any"),
    ("backgroundImageLink", "string"),
    ("capabilities", "any"),
    ("createdTime", "date-time"),
    ("hidden", "boolean"),
    ("restrictions", "any"),
    ("orgUnitId", "string"),
];

pub const DRIVE_LIST: &[Field] = &[("kind", "string"), ("nextPageToken", "string"), ("drives", "[#Drive]")];

pub const TEAM_DRIVE: &[Field] = &[
    ("kind", "string"),
    ("id", "string"),
    ("name", "string"),
    ("themeId", "string"),
    ("colorRgb", "string"),
    ("backgroundImageFile", "any"),
    ("backgroundImageLink", "string"),
    ("capabilities", "any"),
    ("createdTime", "date-time"),
    ("restrictions", "any"),
    ("orgUnitId", "string"),
];

pub const TEAM_DRIVE_LIST: &[Field] =
    &[("kind", "string"), ("nextPageToken", "string"), ("teamDrives", "[#TeamDrive]")];

pub const CHANGE: &[Field] = &[
    ("kind", "string"),
    ("removed", "boolean"),
    ("file", "#File"),
    ("fileId", "string"),
    ("time", "date-time"),
    ("driveId", "string"),
    ("changeType", "string"),
    ("drive", "#Drive"),
    ("teamDriveId", "string"),
    ("teamDrive", "any"),
];

pub const CHANGE_LIST: &[Field] =
    &[("kind", "string"), ("nextPageToken", "string"), ("newStartPageToken", "string"), ("changes", "[#Change]")];

pub const START_PAGE_TOKEN: &[Field] = &[("kind", "string"), ("startPageToken", "string")];

pub const REPLY: &[Field] = &[
    ("kind", "string"),
    ("id", "string"),
    ("createdTime", "date-time"),
    ("modifiedTime", "date-time"),
    ("action", "string"),
    ("author", "#User"),
    ("deleted", "boolean"),
    ("htmlContent", "string"),
    ("content", "string"),
];

pub const COMMENT: &[Field] = &[
    ("kind", "string"),
    ("id", "string"),
    ("createdTime", "date-time"),
    ("modifiedTime", "date-time"),
    ("author", "#User"),
    ("htmlContent", "string"),
    ("content", "string"),
    ("deleted", "boolean"),
    ("resolved", "boolean"),
    ("quotedFileContent", "any"),
    ("anchor", "string"),
    ("replies", "[#Reply]"),
];

pub const COMMENT_LIST: &[Field] = &[("kind", "string"), ("nextPageToken", "string"), ("comments", "[#Comment]")];
pub const REPLY_LIST: &[Field] = &[("kind", "string"), ("nextPageToken", "string"), ("replies", "[#Reply]")];

pub const REVISION: &[Field] = &[
    ("kind", "string"),
    ("id", "string"),
    ("mimeType", "string"),
    ("modifiedTime", "date-time"),
    ("keepForever", "boolean"),
    ("published", "boolean"),
    ("publishAuto", "boolean"),
    ("publishedOutsideDomain", "boolean"),
    ("lastModifyingUser", "#User"),
    ("originalFilename", "string"),
    ("md5Checksum", "string"),
    ("size", "int64"),
    ("exportLinks", "map"),
];

pub const REVISION_LIST: &[Field] = &[("kind", "string"), ("nextPageToken", "string"), ("revisions", "[#Revision]")];
pub const GENERATED_IDS: &[Field] = &[("kind", "string"), ("space", "string"), ("ids", "[string]")];

pub const CHANNEL: &[Field] = &[
    ("kind", "string"),
    ("id", "string"),
    ("resourceId", "string"),
    ("resourceUri", "string"),
    ("token", "string"),
    ("expiration", "int64"),
    ("type", "string"),
    ("address", "string"),
    ("payload", "boolean"),
    ("params", "map"),
];

/// Every schema by name.
pub const ALL: &[(&str, &[Field])] = &[
    ("About", ABOUT),
    ("Change", CHANGE),
    ("ChangeList", CHANGE_LIST),
    ("Channel", CHANNEL),
    ("Comment", COMMENT),
    ("CommentList", COMMENT_LIST),
    ("Drive", DRIVE),
    ("DriveList", DRIVE_LIST),
    ("File", FILE),
    ("FileList", FILE_LIST),
    ("GeneratedIds", GENERATED_IDS),
    ("Permission", PERMISSION),
    ("PermissionList", PERMISSION_LIST),
    ("Reply", REPLY),
    ("ReplyList", REPLY_LIST),
    ("Revision", REVISION),
    ("RevisionList", REVISION_LIST),
    ("StartPageToken", START_PAGE_TOKEN),
    ("TeamDrive", TEAM_DRIVE),
    ("TeamDriveList", TEAM_DRIVE_LIST),
    ("User", USER),
];

/// One API version's schemas by name.
#[derive(Debug, Clone, Copy)]
pub struct Schemas(pub &'static [(&'static str, &'static [Field])]);

impl Schemas {
    pub fn get(&self, name: &str) -> Option<&'static [Field]> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }

    /// The schema a field's type refers to (`#File`, `[#File]`), if any.
    pub fn referent(&self, ty: &str) -> Option<&'static str> {
        let inner = ty.trim_start_matches('[').trim_end_matches(']');
        let name = inner.strip_prefix('#')?;
        self.0.iter().find(|(n, _)| *n == name).map(|(n, _)| *n)
    }
}

/// Drive v3's schemas.
pub const V3: Schemas = Schemas(ALL);

pub fn schema(name: &str) -> Option<&'static [Field]> {
    V3.get(name)
}

/// The v3 schema a field's type refers to (`#File`, `[#File]`), if any.
pub fn referent(ty: &str) -> Option<&'static str> {
    V3.referent(ty)
}

/// A field type as a discovery JSON-schema fragment.
pub fn to_discovery(ty: &str) -> serde_json::Value {
    use serde_json::json;
    if let Some(inner) = ty.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        return json!({"type": "array", "items": to_discovery(inner)});
    }
    if let Some(name) = ty.strip_prefix('#') {
        return json!({"$ref": name});
    }
    match ty {
        "int64" => json!({"type": "string", "format": "int64"}),
        "date-time" => json!({"type": "string", "format": "date-time"}),
        "map" => json!({"type": "object", "additionalProperties": {"type": "string"}}),
        "any" => json!({"type": "object", "additionalProperties": {"type": "any"}}),
        "boolean" => json!({"type": "boolean"}),
        "integer" => json!({"type": "integer", "format": "int32"}),
        _ => json!({"type": "string"}),
    }
}
