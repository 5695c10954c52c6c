package server

import (
	"encoding/json"
	"net/http"
	"reflect"
)

// writeJSON answers with a JSON body, in the shape every JSON answer
// keeps (see fixedShape).
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.MarshalIndent(fixedShape(v), "", "  ")
	if err != nil {
		writeProblem(w, r, http.StatusInternalServerError, "cannot encode the answer")
		return
	}
	w.Header().Set("Content-Type", typeJSON)
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(append(body, '\n'))
	}
}

// fixedShape returns a copy of v in which every nil slice is an empty one
// and every nil map an empty map, so a list is always a JSON array (never
// null) and an object always an object; counts are Go integers and encode
// as JSON numbers. Fields tagged omitempty stay absent when empty. v is
// not modified (answers may share data with caches).
func fixedShape(v any) any {
	if v == nil {
		return nil
	}
	rv := reflect.ValueOf(v)
	return shapeValue(rv, 0).Interface()
}

var marshalerType = reflect.TypeFor[json.Marshaler]()

// shapeValue returns v with nil slices and maps made empty, copying what
// it changes; it stops at json.Marshalers (times, numbers, raw JSON) and
// at a depth of 32.
func shapeValue(v reflect.Value, depth int) reflect.Value {
	t := v.Type()
	if depth > 32 || t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType) && t.Kind() == reflect.Struct {
		return v
	}
	switch t.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		p := reflect.New(t.Elem())
		p.Elem().Set(shapeValue(v.Elem(), depth+1))
		return p
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		out := reflect.New(t).Elem()
		out.Set(shapeValue(v.Elem(), depth+1))
		return out
	case reflect.Struct:
		out := reflect.New(t).Elem()
		out.Set(v)
		for i := 0; i < t.NumField(); i++ {
			if !t.Field(i).IsExported() {
				continue
			}
			out.Field(i).Set(shapeValue(v.Field(i), depth+1))
		}
		return out
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 { // []byte encodes as a string
			return v
		}
		out := reflect.MakeSlice(t, v.Len(), v.Len())
		for i := 0; i < v.Len(); i++ {
			out.Index(i).Set(shapeValue(v.Index(i), depth+1))
		}
		return out
	case reflect.Map:
		out := reflect.MakeMapWithSize(t, v.Len())
		iter := v.MapRange()
		for iter.Next() {
			out.SetMapIndex(iter.Key(), shapeValue(iter.Value(), depth+1))
		}
		return out
	}
	return v
}
