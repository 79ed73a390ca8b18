package xlsx

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"io"
)

// archive is a workbook's zip archive, of which the reader opens only the
// few parts it needs. Parts are found by exact name in the central
// directory (not through zip.Reader.Open, whose index of every name costs
// memory for nothing).
type archive struct {
	zr *zip.Reader
	// unpacked counts the bytes unpacked from the parts read (for tests
	// that bound the reader's allocations by what it read).
	unpacked int64
}

// directorySignature starts every entry of a zip's central directory.
var directorySignature = []byte("PK\x01\x02")

// openArchive opens data as a zip archive of at most MaxParts entries.
// The entries are counted before archive/zip reads its directory: it reads
// every entry the file holds (the count the directory declares is only
// checked modulo 65,536), so a 20 MB upload could make it index 400,000 of
// them. No entry can be read without its signature, so their count bounds
// the entries (compressed data that happens to hold the 4 bytes only
// makes the bound stricter).
func openArchive(data []byte) (*archive, error) {
	if n := bytes.Count(data, directorySignature); n > MaxParts {
		return nil, fileError("has %d parts, over the %d a workbook this service reads may have", n, MaxParts)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	return &archive{zr: zr}, nil
}

// find returns the part named name, nil if there is none. Two parts of one
// name make the file damaged: which one is meant is a guess.
func (a *archive) find(name string) (*zip.File, error) {
	var found *zip.File
	for _, f := range a.zr.File {
		if f.Name != name {
			continue
		}
		if found != nil {
			return nil, fileError("is damaged: it holds two parts named %s", name)
		}
		found = f
	}
	return found, nil
}

// open opens the part name for reading as XML, refusing a part that
// declares more than max bytes unpacked (the read itself is bounded too).
// A missing part is an error saying why the part was wanted.
func (a *archive) open(ctx context.Context, name string, max int64, missing func() error) (*xmlPart, io.Closer, error) {
	f, err := a.find(name)
	if err != nil {
		return nil, nil, err
	}
	if f == nil {
		return nil, nil, missing()
	}
	if f.UncompressedSize64 > uint64(max) {
		return nil, nil, fileError("is refused: %s unpacks to %d MB, over the %d MB limit", name, f.UncompressedSize64>>20, max>>20)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, nil, fileError("is damaged: %s cannot be unpacked (%s)", name, err)
	}
	return newXMLPart(ctx, name, rc, max, &a.unpacked), rc, nil
}

// archiveDamage reports whether err is archive/zip's or flate's finding
// that the archive is damaged: a checksum or size that does not match, a
// compression method it does not know, corrupt compressed data.
func archiveDamage(err error) bool {
	var corrupt flate.CorruptInputError
	return errors.Is(err, zip.ErrFormat) || errors.Is(err, zip.ErrChecksum) || errors.Is(err, zip.ErrAlgorithm) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &corrupt)
}
