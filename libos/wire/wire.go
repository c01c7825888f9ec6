// Package wire is the LibOS's encoding for what its processes send each
// other: fork checkpoints and process-table messages. Both ends are the
// same gophene binary, so the format needs no type descriptions and no
// versioning; it is varints, length-prefixed bytes and, for small structs
// without pointers, their memory image. It replaces encoding/gob, whose
// per-stream compilation of every type cost more than the rest of a fork.
//
// The package owns nothing but the encoding; callers write one encode and
// one decode function per type, field by field, in the same order.
package wire

import (
	"encoding/binary"
	"errors"
	"unsafe"
)

// ErrShort is the error of a decoder that ran out of input or met a
// malformed value.
var ErrShort = errors.New("wire: truncated or malformed data")

// Encoder appends values to a buffer.
type Encoder struct{ buf []byte }

// Bytes returns what was encoded.
func (e *Encoder) Bytes() []byte { return e.buf }

// Uint appends an unsigned integer.
func (e *Encoder) Uint(v uint64) { e.buf = binary.AppendUvarint(e.buf, v) }

// Int appends a signed integer.
func (e *Encoder) Int(v int64) { e.buf = binary.AppendVarint(e.buf, v) }

// Bool appends a boolean.
func (e *Encoder) Bool(v bool) {
	if v {
		e.buf = append(e.buf, 1)
	} else {
		e.buf = append(e.buf, 0)
	}
}

// Data appends a byte slice, keeping nil apart from empty.
func (e *Encoder) Data(v []byte) {
	if v == nil {
		e.Uint(0)
		return
	}
	e.Uint(uint64(len(v)) + 1)
	e.buf = append(e.buf, v...)
}

// String appends a string.
func (e *Encoder) String(s string) {
	e.Uint(uint64(len(s)))
	e.buf = append(e.buf, s...)
}

// Strings appends a string slice, keeping nil apart from empty.
func (e *Encoder) Strings(v []string) {
	if v == nil {
		e.Uint(0)
		return
	}
	e.Uint(uint64(len(v)) + 1)
	for _, s := range v {
		e.String(s)
	}
}

// Raw appends the memory image of *v. T must hold no pointers, slices,
// strings, maps or interfaces (a test checks every type that uses it).
func Raw[T any](e *Encoder, v *T) {
	e.buf = append(e.buf, unsafe.Slice((*byte)(unsafe.Pointer(v)), unsafe.Sizeof(*v))...)
}

// RawSlice appends a slice of pointer-free values.
func RawSlice[T any](e *Encoder, v []T) {
	if v == nil {
		e.Uint(0)
		return
	}
	e.Uint(uint64(len(v)) + 1)
	if len(v) > 0 {
		var zero T
		e.buf = append(e.buf, unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), uintptr(len(v))*unsafe.Sizeof(zero))...)
	}
}

// Slice appends a slice with enc for each element.
func Slice[T any](e *Encoder, v []T, enc func(*Encoder, *T)) {
	if v == nil {
		e.Uint(0)
		return
	}
	e.Uint(uint64(len(v)) + 1)
	for i := range v {
		enc(e, &v[i])
	}
}

// Decoder reads values in the order they were encoded. Errors are sticky:
// after the first, every read returns a zero value and Err reports it.
type Decoder struct {
	buf []byte
	err error
}

// NewDecoder reads from b.
func NewDecoder(b []byte) *Decoder { return &Decoder{buf: b} }

// Err is the first error met, if any.
func (d *Decoder) Err() error { return d.err }

func (d *Decoder) fail() { d.err, d.buf = ErrShort, nil }

// Uint reads an unsigned integer.
func (d *Decoder) Uint() uint64 {
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

// Int reads a signed integer.
func (d *Decoder) Int() int64 {
	v, n := binary.Varint(d.buf)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

// Bool reads a boolean.
func (d *Decoder) Bool() bool {
	if len(d.buf) < 1 {
		d.fail()
		return false
	}
	v := d.buf[0] != 0
	d.buf = d.buf[1:]
	return v
}

// take returns the next n bytes.
func (d *Decoder) take(n uint64) []byte {
	if n > uint64(len(d.buf)) {
		d.fail()
		return nil
	}
	b := d.buf[:n:n]
	d.buf = d.buf[n:]
	return b
}

// count reads a slice length written with the nil marker; ok is false for
// nil.
func (d *Decoder) count() (int, bool) {
	n := d.Uint()
	if n == 0 || d.err != nil {
		return 0, false
	}
	if n-1 > uint64(len(d.buf)) { // every element takes at least a byte
		d.fail()
		return 0, false
	}
	return int(n - 1), true
}

// Data reads a byte slice (a copy).
func (d *Decoder) Data() []byte {
	n, ok := d.count()
	if !ok {
		return nil
	}
	return append([]byte{}, d.take(uint64(n))...)
}

// String reads a string.
func (d *Decoder) String() string {
	return string(d.take(d.Uint()))
}

// Strings reads a string slice.
func (d *Decoder) Strings() []string {
	n, ok := d.count()
	if !ok {
		return nil
	}
	v := make([]string, n)
	for i := range v {
		v[i] = d.String()
	}
	return v
}

// RawIn reads the memory image of a pointer-free value into *v.
func RawIn[T any](d *Decoder, v *T) {
	b := d.take(uint64(unsafe.Sizeof(*v)))
	if b != nil {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(v)), unsafe.Sizeof(*v)), b)
	}
}

// RawSliceIn reads a slice written by RawSlice.
func RawSliceIn[T any](d *Decoder) []T {
	n, ok := d.count()
	if !ok {
		return nil
	}
	var zero T
	b := d.take(uint64(n) * uint64(unsafe.Sizeof(zero)))
	if d.err != nil {
		return nil
	}
	v := make([]T, n)
	if n > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(b)), b)
	}
	return v
}

// SliceIn reads a slice written by Slice, with dec for each element.
func SliceIn[T any](d *Decoder, dec func(*Decoder, *T)) []T {
	n, ok := d.count()
	if !ok {
		return nil
	}
	v := make([]T, n)
	for i := range v {
		dec(d, &v[i])
		if d.err != nil {
			return nil
		}
	}
	return v
}
