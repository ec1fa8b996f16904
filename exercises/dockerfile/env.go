package dockerfile

// envList is the environment a stage's instructions expand against: the
// ARG values and ENV values set so far. It implements shell.EnvGetter.
type envList struct {
	keys   []string
	values map[string]string
}

func newEnvList() *envList {
	return &envList{values: map[string]string{}}
}

func (e *envList) Get(key string) (string, bool) {
	v, ok := e.values[key]
	return v, ok
}

func (e *envList) Keys() []string {
	return append([]string(nil), e.keys...)
}

func (e *envList) set(key, value string) {
	if _, ok := e.values[key]; !ok {
		e.keys = append(e.keys, key)
	}
	e.values[key] = value
}

func (e *envList) clone() *envList {
	c := &envList{keys: append([]string(nil), e.keys...), values: make(map[string]string, len(e.values))}
	for k, v := range e.values {
		c.values[k] = v
	}
	return c
}
