//! Drive v2's resources as the twin renders them: each schema's fields and their
//! types, in the notation of [`crate::drive::schema`]. They check v2's `fields`
//! selector and give the `schemas` of the v2 discovery document.

use crate::drive::schema::{Field, Schemas};

pub const ABOUT: &[Field] = &[
    ("additionalRoleInfo", "[any]"),
    ("canCreateDrives", "boolean"),
    ("canCreateTeamDrives", "boolean"),
    ("domainSharingPolicy", "string"),
    ("driveThemes", "[any]"),
    ("etag", "string"),
    ("exportFormats", "[any]"),
    ("features", "[any]"),
    ("folderColorPalette", "[string]"),
    ("importFormats", "[any]"),
    ("isCurrentAppInstalled", "boolean"),
    ("kind", "string"),
    ("languageCode", "string"),
    ("largestChangeId", "int64"),
    ("maxUploadSizes", "[any]"),
    ("name", "string"),
    ("permissionId", "string"),
    ("quotaBytesByService", "[any]"),
    ("quotaBytesTotal", "int64"),
    ("quotaBytesUsed", "int64"),
    ("quotaBytesUsedAggregate", "int64"),
    ("quotaBytesUsedInTrash", "int64"),
    ("quotaType", "string"),
    ("remainingChangeIds", "int64"),
    ("rootFolderId", "string"),
    ("selfLink", "string"),
    ("teamDriveThemes", "[any]"),
    ("user", "#User"),
];

pub const CHILD_LIST: &[Field] = &[
    ("etag", "string"),
    ("items", "[#ChildReference]"),
    ("kind", "string"),
    ("nextLink", "string"),
    ("nextPageToken", "string"),
    ("selfLink", "string"),
];

pub const CHILD_REFERENCE: &[Field] =
    &[("childLink", "string"), ("id", "string"), ("kind", "string"), ("selfLink", "string")];

pub const FILE: &[Field] = &[
    ("alternateLink", "string"),
    ("appDataContents", "boolean"),
    ("canComment", "boolean"),
    ("canReadRevisions", "boolean"),
    ("capabilities", "any"),
    ("clientEncryptionDetails", "any"),
    ("contentRestrictions", "[any]"),
    ("copyRequiresWriterPermission", "boolean"),
    ("copyable", "boolean"),
    ("createdDate", "date-time"),
    ("defaultOpenWithLink", "string"),
    ("description", "string"),
    ("downloadUrl", "string"),
    ("driveId", "string"),
    ("editable", "boolean"),
    ("embedLink", "string"),
    ("etag", "string"),
    ("explicitlyTrashed", "boolean"),
    ("exportLinks", "map"),
    ("fileExtension", "string"),
    ("fileSize", "int64"),
    ("folderColorRgb", "string"),
    ("fullFileExtension", "string"),
    ("hasAugmentedPermissions", "boolean"),
    ("hasThumbnail", "boolean"),
    ("headRevisionId", "string"),
    ("iconLink", "string"),
    ("id", "string"),
    ("imageMediaMetadata", "any"),
    ("indexableText", "any"),
    ("inheritedPermissionsDisabled", "boolean"),
    ("isAppAuthorized", "boolean"),
    ("kind", "string"),
    ("labelInfo", "any"),
    ("labels", "any"),
    ("lastModifyingUser", "#User"),
    ("lastModifyingUserName", "string"),
    ("lastViewedByMeDate", "date-time"),
    ("linkShareMetadata", "any"),
    ("markedViewedByMeDate", "date-time"),
    ("md5Checksum", "string"),
    ("mimeType", "string"),
    ("modifiedByMeDate", "date-time"),
    ("modifiedDate", "date-time"),
    ("openWithLinks", "map"),
    ("originalFilename", "string"),
    ("ownedByMe", "boolean"),
    ("ownerNames", "[string]"),
    ("owners", "[#User]"),
    ("parents", "[#ParentReference]"),
    ("permissionIds", "[string]"),
    ("permissions", "[#Permission]"),
    ("properties", "[#Property]"),
    ("quotaBytesUsed", "int64"),
    ("resourceKey", "string"),
    ("selfLink", "string"),
    ("sha1Checksum", "string"),
    ("sha256Checksum", "string"),
    ("shareable", "boolean"),
    ("shared", "boolean"),
    ("sharedWithMeDate", "date-time"),
    ("sharingUser", "#User"),
    ("shortcutDetails", "any"),
    ("spaces", "[string]"),
    ("teamDriveId", "string"),
    ("thumbnail", "any"),
    ("thumbnailLink", "string"),
    ("thumbnailVersion", "int64"),
    ("title", "string"),
    ("trashedDate", "date-time"),
    ("trashingUser", "#User"),
    ("userPermission", "#Permission"),
    ("version", "int64"),
    ("videoMediaMetadata", "any"),
    ("webContentLink", "string"),
    ("webViewLink", "string"),
    ("writersCanShare", "boolean"),
];

pub const FILE_LIST: &[Field] = &[
    ("etag", "string"),
    ("incompleteSearch", "boolean"),
    ("items", "[#File]"),
    ("kind", "string"),
    ("nextLink", "string"),
    ("nextPageToken", "string"),
    ("selfLink", "string"),
];

pub const PARENT_LIST: &[Field] =
    &[("etag", "string"), ("items", "[#ParentReference]"), ("kind", "string"), ("selfLink", "string")];

pub const PARENT_REFERENCE: &[Field] =
    &[("id", "string"), ("isRoot", "boolean"), ("kind", "string"), ("parentLink", "string"), ("selfLink", "string")];

pub const PERMISSION: &[Field] = &[
    ("additionalRoles", "[string]"),
    ("authKey", "string"),
    ("deleted", "boolean"),
    ("domain", "string"),
    ("emailAddress", "string"),
    ("etag", "string"),
    ("expirationDate", "date-time"),
    ("id", "string"),
    ("inheritedPermissionsDisabled", "boolean"),
    ("kind", "string"),
    ("name", "string"),
    ("pendingOwner", "boolean"),
    ("permissionDetails", "[any]"),
    ("photoLink", "string"),
    ("role", "string"),
    ("selfLink", "string"),
    ("teamDrivePermissionDetails", "[any]"),
    ("type", "string"),
    ("value", "string"),
    ("view", "string"),
    ("withLink", "boolean"),
];

pub const PERMISSION_ID: &[Field] = &[("id", "string"), ("kind", "string")];

pub const PERMISSION_LIST: &[Field] = &[
    ("etag", "string"),
    ("items", "[#Permission]"),
    ("kind", "string"),
    ("nextPageToken", "string"),
    ("selfLink", "string"),
];

pub const PROPERTY: &[Field] = &[
    ("etag", "string"),
    ("key", "string"),
    ("kind", "string"),
    ("selfLink", "string"),
    ("value", "string"),
    ("visibility", "string"),
];

pub const USER: &[Field] = &[
    ("displayName", "string"),
    ("emailAddress", "string"),
    ("isAuthenticatedUser", "boolean"),
    ("kind", "string"),
    ("permissionId", "string"),
    ("picture", "any"),
];

pub const REVISION: &[Field] = &[
    ("downloadUrl", "string"),
    ("etag", "string"),
    ("fileSize", "string"),
    ("id", "string"),
    ("kind", "string"),
    ("lastModifyingUser", "#User"),
    ("lastModifyingUserName", "string"),
    ("md5Checksum", "string"),
    ("mimeType", "string"),
    ("modifiedDate", "string"),
    ("originalFilename", "string"),
    ("pinned", "boolean"),
    ("published", "boolean"),
    ("selfLink", "string"),
];

pub const REVISION_LIST: &[Field] = &[
    ("etag", "string"),
    ("items", "[#Revision]"),
    ("kind", "string"),
    ("nextPageToken", "string"),
    ("selfLink", "string"),
];

/// Every schema by name.
pub const ALL: &[(&str, &[Field])] = &[
    ("About", ABOUT),
    ("ChildList", CHILD_LIST),
    ("ChildReference", CHILD_REFERENCE),
    ("File", FILE),
    ("FileList", FILE_LIST),
    ("ParentList", PARENT_LIST),
    ("ParentReference", PARENT_REFERENCE),
    ("Permission", PERMISSION),
    ("PermissionId", PERMISSION_ID),
    ("PermissionList", PERMISSION_LIST),
    ("Property", PROPERTY),
    ("Revision", REVISION),
    ("RevisionList", REVISION_LIST),
    ("User", USER),
];

/// Drive v2's schemas.
pub const V2: Schemas = Schemas(ALL);
