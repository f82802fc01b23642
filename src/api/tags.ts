import type { FastifyReply, FastifyRequest } from 'fastify';
import { validateListOfUniqueStrings, validateString } from '../lib/attributes.js';
import { HTTPNotFound, InvalidInput, TagNotFound } from '../lib/errors.js';
import type { TagHandler } from '../registry/handler.js';
import { parseJsonBody } from './body.js';

const MAX_TAG_LEN = 255;

type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
export type SubRoutes = Record<string, Partial<Record<'GET' | 'PUT' | 'DELETE' | 'POST', Handler>>>;

function checkTag(tag: string): string {
  const msg = validateString(MAX_TAG_LEN)(tag);
  if (msg) throw new InvalidInput({ error_message: msg });
  return tag;
}

/**
 * The tags sub-resource of one collection, as Neutron's TaggingController answers it: GET/PUT/DELETE
 * on .../tags (PUT replaces all and echoes the body), GET/PUT/DELETE on .../tags/<tag> (204/201/204).
 * The handler answers TagResourceNotFound when the caller cannot see the object.
 */
export function tagRoutes(basePath: string, tags: TagHandler): SubRoutes {
  const ids = (req: FastifyRequest) => req.params as { id: string; tag: string };
  return {
    [`${basePath}/:id/tags`]: {
      GET: async (req) => ({ tags: await tags.list(req.neutronContext, ids(req).id) }),
      PUT: async (req) => {
        const body = parseJsonBody(req.body as string | undefined);
        if (!body || !('tags' in body)) throw new InvalidInput({ error_message: 'Invalid tags body' });
        const msg = validateListOfUniqueStrings(MAX_TAG_LEN)(body.tags);
        if (msg) throw new InvalidInput({ error_message: msg });
        await tags.replace(req.neutronContext, ids(req).id, body.tags as string[]);
        return body;
      },
      DELETE: async (req, reply) => {
        await tags.clear(req.neutronContext, ids(req).id);
        return reply.code(204).send();
      },
      POST: async () => { throw new HTTPNotFound('not supported'); },
    },
    [`${basePath}/:id/tags/:tag`]: {
      GET: async (req, reply) => {
        const { id, tag } = ids(req);
        if (!(await tags.has(req.neutronContext, id, checkTag(tag)))) throw new TagNotFound({ tag });
        return reply.code(204).send();
      },
      PUT: async (req, reply) => {
        const { id, tag } = ids(req);
        await tags.add(req.neutronContext, id, checkTag(tag));
        return reply.code(201).send();
      },
      DELETE: async (req, reply) => {
        const { id, tag } = ids(req);
        if (!(await tags.remove(req.neutronContext, id, checkTag(tag)))) throw new TagNotFound({ tag });
        return reply.code(204).send();
      },
    },
  };
}
