import type { ExtensionDef } from '../../../lib/definitions.js';

/** Extensions that only announce a behaviour of the API layer; they add no attributes. */
const shim = (alias: string, name: string, description: string, updated: string): ExtensionDef => ({ alias, name, description, updated });

export const projectId = shim('project-id', 'project_id field enabled', 'Extension that indicates that project_id field is enabled.', '2016-09-09T09:09:09-09:09');
export const pagination = shim('pagination', 'Pagination support', 'Extension that indicates that pagination is enabled.', '2016-06-12T00:00:00-00:00');
export const sorting = shim('sorting', 'Sorting support', 'Extension that indicates that sorting is enabled.', '2016-06-12T00:00:00-00:00');
export const filterValidation = shim('filter-validation', 'Filter parameters validation', 'Provides validation on filter parameters.', '2018-07-04T10:00:00-00:00');
export const emptyStringFiltering = shim('empty-string-filtering', 'Empty String Filtering Extension', 'Allow filtering by attributes with empty string value', '2018-05-01T10:00:00-00:00');
export const revisionIfMatch = shim('revision-if-match', 'If-Match constraints based on revision_number', 'Extension indicating that If-Match based on revision_number is supported.', '2016-12-11T00:00:00-00:00');
export const portMacOverride = shim('port-mac-override', 'Neutron Port MAC address override', 'Allow overriding the MAC address of a direct-physical Port via the active binding profile', '2022-03-18T10:00:00-00:00');
export const tagPortsDuringBulkCreation = shim('tag-ports-during-bulk-creation', 'Tag Ports During Bulk Creation', 'Allow to tag ports during bulk creation', '2019-12-29T19:00:00-00:00');
