-- Events a projector could not apply, set aside so that one event never
-- stops a read model for good (projections/parking.go). The projector
-- retries an event a few times, then records it here and moves its
-- checkpoint past it in the same transaction; the later events of the
-- same stream are set aside behind it (a read model applies a stream's
-- events in order), every other event is applied. An operator retries them
-- after a fix (`contacts parked retry`, or POST /v1/projections/{name}/retry).
CREATE TABLE projection_parked (
    projection  text NOT NULL,
    commit_pos  bigint NOT NULL,
    prepare_pos bigint NOT NULL,
    event_id    text NOT NULL,
    stream      text NOT NULL,
    version     bigint NOT NULL,
    type        text NOT NULL,
    error       text NOT NULL,      -- why it could not be applied (or which event of its stream it waits behind)
    attempts    integer NOT NULL,   -- how often it was tried
    parked_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, commit_pos, prepare_pos)
);
CREATE INDEX projection_parked_stream ON projection_parked (projection, stream);
