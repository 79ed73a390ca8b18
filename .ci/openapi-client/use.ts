// Uses a few of the types openapi-typescript generates from
// http/openapi.yaml (into api.d.ts, beside this file once
// .ci/openapi-client.sh has run): if the document stops describing
// these shapes, or describes them so that a client cannot be typed,
// tsc --strict fails.
import type { components, operations, paths } from "./api";

type Contact = components["schemas"]["Contact"];
type Problem = components["schemas"]["Problem"];
type ContactPage = components["schemas"]["ContactList"];
type EventLine = components["schemas"]["EventLine"];
type Register = paths["/v1/contacts"]["post"];
type Listed = operations["listContacts"]["responses"][200]["content"]["application/json"];
type Refused = operations["listContacts"]["responses"][400]["content"]["application/problem+json"];

const contact: Contact = {
  id: "01a25306-8655-7d99-8647-06719caec719",
  status: "active",
  email: "ada@example.org",
  first_name: "Ada",
  last_name: "Lovelace",
  external_id: "",
  fields: { level: "Gold" },
  version: 1,
  created_at: "2026-12-08T00:00:00Z",
  updated_at: "2026-12-08T00:00:00Z",
  archived_at: null,
  merged_into: null,
};

const page: Listed = { items: [contact], next_cursor: null } satisfies ContactPage;

const problem: Refused = {
  type: "https://contacts.invalid/problems/invalid",
  title: "Bad Request",
  status: 400,
  field: "sort",
} satisfies Problem;

const body: NonNullable<Register["requestBody"]>["content"]["application/json"] = {
  first_name: "Ada",
  email: "",
  fields: { level: null },
};

// Each line of GET /v1/events is an event, a heartbeat or an error.
function describe(line: EventLine): string {
  if ("heartbeat" in line) {
    return `heartbeat at ${line.position}`;
  }
  if ("error" in line) {
    return `failed: ${line.error}`;
  }
  return `${line.type} on ${line.stream} at ${line.position}`;
}

export const checked: string[] = [contact.id, String(page.items.length), problem.title, String(body.first_name), describe({ heartbeat: true, position: "1-0", time: "2026-12-08T00:00:00Z" })];
