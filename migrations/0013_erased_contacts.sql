-- The contacts whose keys were destroyed (deleted contacts): no key is made
-- for them again (eventstore/sealed.Keyring.SealOwned), so a value sealed
-- after a deletion, by an import that ran across it, is not kept at all
-- rather than kept under a key nobody will destroy. An ID only: nothing
-- personal.
CREATE TABLE erased_contacts (
    contact_id uuid PRIMARY KEY,
    erased_at  timestamptz NOT NULL DEFAULT now()
);
