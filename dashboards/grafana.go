package dashboards

// grafana.go holds the part of Grafana's dashboard JSON model vigie's
// dashboards use (schemaVersion 39: Grafana 10.4 to 12 import it as is),
// and small constructors that keep specs.go readable.

// schemaVersion is the dashboard JSON schema the files are written in.
const schemaVersion = 39

// datasource is how every panel and target names its data source: the
// dashboard's datasource variable, never a fixed uid or ${DS_...} input
// (grafana#10786: provisioned dashboards cannot resolve __inputs).
func datasource() DataSourceRef { return DataSourceRef{Type: "prometheus", UID: "${datasource}"} }

// DataSourceRef is Grafana's {type, uid} data source reference.
type DataSourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// Dashboard is one Grafana dashboard.
type Dashboard struct {
	UID           string      `json:"uid"`
	Title         string      `json:"title"`
	Description   string      `json:"description"`
	Tags          []string    `json:"tags"`
	Editable      bool        `json:"editable"`
	GraphTooltip  int         `json:"graphTooltip"`
	Refresh       string      `json:"refresh"`
	SchemaVersion int         `json:"schemaVersion"`
	Version       int         `json:"version"`
	Time          TimeRange   `json:"time"`
	Timezone      string      `json:"timezone"`
	Templating    Templating  `json:"templating"`
	Annotations   Annotations `json:"annotations"`
	Links         []Link      `json:"links"`
	Panels        []*Panel    `json:"panels"`
	FiscalYear    int         `json:"fiscalYearStartMonth"`
	LiveNow       bool        `json:"liveNow"`
	WeekStart     string      `json:"weekStart"`
	TimePicker    TimePicker  `json:"timepicker"`
}

// TimeRange is the default time range.
type TimeRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// TimePicker is the refresh choices offered.
type TimePicker struct {
	RefreshIntervals []string `json:"refresh_intervals"`
}

// Templating holds the dashboard variables.
type Templating struct {
	List []Variable `json:"list"`
}

// Variable is a template variable (datasource or query).
type Variable struct {
	Name        string         `json:"name"`
	Label       string         `json:"label"`
	Type        string         `json:"type"`
	Description string         `json:"description,omitempty"`
	Query       any            `json:"query"`
	Definition  string         `json:"definition,omitempty"`
	Datasource  *DataSourceRef `json:"datasource,omitempty"`
	Refresh     int            `json:"refresh"`
	Regex       string         `json:"regex"`
	Sort        int            `json:"sort"`
	Multi       bool           `json:"multi"`
	IncludeAll  bool           `json:"includeAll"`
	AllValue    string         `json:"allValue,omitempty"`
	Hide        int            `json:"hide"`
	Current     map[string]any `json:"current"`
	Options     []any          `json:"options"`
}

// varQuery is the query object of a Prometheus query variable.
type varQuery struct {
	Query string `json:"query"`
	RefID string `json:"refId"`
}

// Annotations holds the built-in alerts/annotations layer.
type Annotations struct {
	List []map[string]any `json:"list"`
}

// Link is a dashboard link (here: to the other vigie dashboards).
type Link struct {
	Title       string   `json:"title"`
	Type        string   `json:"type"`
	Tags        []string `json:"tags"`
	AsDropdown  bool     `json:"asDropdown"`
	IncludeVars bool     `json:"includeVars"`
	KeepTime    bool     `json:"keepTime"`
	TargetBlank bool     `json:"targetBlank"`
	Icon        string   `json:"icon"`
	Tooltip     string   `json:"tooltip"`
	URL         string   `json:"url"`
}

// Panel is one panel, or a row (Type "row").
type Panel struct {
	ID              int              `json:"id"`
	Type            string           `json:"type"`
	Title           string           `json:"title"`
	Description     string           `json:"description,omitempty"`
	GridPos         GridPos          `json:"gridPos"`
	Datasource      *DataSourceRef   `json:"datasource,omitempty"`
	Targets         []Target         `json:"targets,omitempty"`
	FieldConfig     *FieldConfig     `json:"fieldConfig,omitempty"`
	Options         map[string]any   `json:"options,omitempty"`
	Transformations []Transformation `json:"transformations,omitempty"`
	Collapsed       *bool            `json:"collapsed,omitempty"`
	Panels          []*Panel         `json:"panels,omitempty"`
	// Repeat, on a row, names the variable the row and its panels are
	// repeated over, one copy per selected value.
	Repeat string `json:"repeat,omitempty"`
}

// GridPos places a panel on the 24-column grid.
type GridPos struct {
	H int `json:"h"`
	W int `json:"w"`
	X int `json:"x"`
	Y int `json:"y"`
}

// Target is one Prometheus query of a panel.
type Target struct {
	RefID        string        `json:"refId"`
	Datasource   DataSourceRef `json:"datasource"`
	Expr         string        `json:"expr"`
	LegendFormat string        `json:"legendFormat,omitempty"`
	Format       string        `json:"format,omitempty"`
	Instant      bool          `json:"instant"`
	Range        bool          `json:"range"`
	EditorMode   string        `json:"editorMode"`
}

// FieldConfig sets units, thresholds and value mappings.
type FieldConfig struct {
	Defaults  FieldDefaults    `json:"defaults"`
	Overrides []map[string]any `json:"overrides"`
}

// FieldDefaults are the field settings of a panel.
type FieldDefaults struct {
	Unit       string         `json:"unit"`
	Decimals   *int           `json:"decimals,omitempty"`
	Min        *float64       `json:"min,omitempty"`
	Max        *float64       `json:"max,omitempty"`
	Color      map[string]any `json:"color,omitempty"`
	Thresholds *Thresholds    `json:"thresholds,omitempty"`
	Mappings   []Mapping      `json:"mappings"`
	Custom     map[string]any `json:"custom,omitempty"`
}

// Thresholds colour values by steps.
type Thresholds struct {
	Mode  string `json:"mode"`
	Steps []Step `json:"steps"`
}

// Step is one threshold step; Value nil is the base.
type Step struct {
	Color string   `json:"color"`
	Value *float64 `json:"value"`
}

// Mapping is a value mapping (type "value").
type Mapping struct {
	Type    string                  `json:"type"`
	Options map[string]MappingValue `json:"options"`
}

// MappingValue is the text and colour a value maps to.
type MappingValue struct {
	Text  string `json:"text"`
	Color string `json:"color,omitempty"`
	Index int    `json:"index"`
}

// Transformation is a panel data transformation.
type Transformation struct {
	ID      string         `json:"id"`
	Options map[string]any `json:"options"`
}
