package http

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// appendEventLine appends e as one NDJSON line, the same JSON that
// encoding/json writes for eventJSON, without reflection: a consumer
// catching up reads many thousands of lines a second. e.Data is the
// store's payload, JSON the service itself wrote, copied as is.
func appendEventLine(b []byte, e eventJSON) []byte {
	b = append(b, `{"position":`...)
	b = appendJSONString(b, e.Position)
	b = append(b, `,"stream":`...)
	b = appendJSONString(b, e.Stream)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, e.Version, 10)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, e.Type)
	b = append(b, `,"schema":`...)
	b = strconv.AppendInt(b, int64(e.Schema), 10)
	b = append(b, `,"time":"`...)
	b = e.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","actor":`...)
	b = appendJSONString(b, e.Actor)
	b = append(b, `,"command":`...)
	b = appendJSONString(b, e.Command)
	b = append(b, `,"correlation_id":`...)
	b = appendJSONString(b, e.CorrelationID)
	b = append(b, `,"causation_id":`...)
	b = appendJSONString(b, e.CausationID)
	b = append(b, `,"data":`...)
	if len(e.Data) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, e.Data...)
	}
	b = append(b, `,"erased":`...)
	b = strconv.AppendBool(b, e.Erased)
	return append(b, "}\n"...)
}

// appendJSONString appends s as a JSON string. Positions, stream names,
// types and IDs are plain ASCII and are copied; anything else goes
// through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= utf8.RuneSelf {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
