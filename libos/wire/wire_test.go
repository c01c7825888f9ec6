package wire

import (
	"reflect"
	"testing"
)

type point struct{ X, Y int64 }

func TestRoundTrip(t *testing.T) {
	var e Encoder
	e.Uint(1 << 60)
	e.Int(-5)
	e.Bool(true)
	e.Data(nil)
	e.Data([]byte{})
	e.Data([]byte("abc"))
	e.String("héllo")
	e.Strings(nil)
	e.Strings([]string{"", "x"})
	p := point{3, -4}
	Raw(&e, &p)
	RawSlice(&e, []point{{1, 2}, {5, 6}})
	RawSlice[point](&e, nil)
	Slice(&e, []string{"a", "b"}, func(e *Encoder, s *string) { e.String(*s) })

	d := NewDecoder(e.Bytes())
	if v := d.Uint(); v != 1<<60 {
		t.Errorf("Uint = %d", v)
	}
	if v := d.Int(); v != -5 {
		t.Errorf("Int = %d", v)
	}
	if !d.Bool() {
		t.Error("Bool = false")
	}
	if v := d.Data(); v != nil {
		t.Errorf("nil Data = %v", v)
	}
	if v := d.Data(); v == nil || len(v) != 0 {
		t.Errorf("empty Data = %#v", v)
	}
	if v := d.Data(); string(v) != "abc" {
		t.Errorf("Data = %q", v)
	}
	if v := d.String(); v != "héllo" {
		t.Errorf("String = %q", v)
	}
	if v := d.Strings(); v != nil {
		t.Errorf("nil Strings = %v", v)
	}
	if v := d.Strings(); !reflect.DeepEqual(v, []string{"", "x"}) {
		t.Errorf("Strings = %q", v)
	}
	var q point
	RawIn(d, &q)
	if q != p {
		t.Errorf("Raw = %v", q)
	}
	if v := RawSliceIn[point](d); !reflect.DeepEqual(v, []point{{1, 2}, {5, 6}}) {
		t.Errorf("RawSlice = %v", v)
	}
	if v := RawSliceIn[point](d); v != nil {
		t.Errorf("nil RawSlice = %v", v)
	}
	if v := SliceIn(d, func(d *Decoder, s *string) { *s = d.String() }); !reflect.DeepEqual(v, []string{"a", "b"}) {
		t.Errorf("Slice = %v", v)
	}
	if d.Err() != nil {
		t.Errorf("Err = %v", d.Err())
	}
}

// Cut anywhere, the input gives an error, never a panic or a huge
// allocation.
func TestTruncated(t *testing.T) {
	var e Encoder
	e.Strings([]string{"one", "two"})
	RawSlice(&e, []point{{1, 2}})
	e.Data([]byte("xyz"))
	full := e.Bytes()
	for n := 0; n < len(full); n++ {
		d := NewDecoder(full[:n])
		d.Strings()
		RawSliceIn[point](d)
		d.Data()
		if d.Err() == nil {
			t.Errorf("%d of %d bytes decoded without error", n, len(full))
		}
	}
	d := NewDecoder([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	if d.Strings(); d.Err() == nil {
		t.Error("a huge count was accepted")
	}
}
