package xlsx

import "context"

// ReadUnpacking reads data as StreamWorkbook does, doing nothing with its
// rows, and returns how many bytes it unpacked from the parts it read.
func ReadUnpacking(data []byte) (int64, error) {
	a, err := openWorkbook(data)
	if err != nil {
		return 0, err
	}
	err = streamArchive(context.Background(), a, func(string, []string) error { return nil }, func(Row, []string) error { return nil })
	return a.unpacked, err
}
