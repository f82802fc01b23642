import type { ResourceHandler } from '../../registry/handler.js';
import type { Plugin } from '../../plugins/plugin.js';

/**
 * Neutron's `tag` service plugin, always loaded. The work is generic: every taggable SqlResource
 * stores, loads and filters its tags (src/db/tags.ts) once this plugin's extension is loaded.
 */
export class TagPlugin implements Plugin {
  readonly name = 'tag';
  readonly supportedExtensionAliases = ['standard-attr-tag'];

  async start(): Promise<Record<string, ResourceHandler>> {
    return {};
  }
}
