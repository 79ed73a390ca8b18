package wire

import (
	"testing"

	"github.com/assoc/contacts/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
