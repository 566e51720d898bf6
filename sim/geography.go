package sim

// geography.go fills in what a person acting on a page needs: each site's
// department, commune, postal address, position, ministry and contact
// reference, each access's operator and circuit, each PoP's and
// datacentre's address. It draws from sim/places (real communes) with its
// own random stream, so that the topology a seed gives is the same with or
// without these fields.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim/places"
)

// placesStream is the second PCG word of the geography's random stream
// ("VIGIEPL1"); the first is the seed.
const placesStream = 0x5649474945504c31

// kindMinistry is the ministry each kind of site (siteKinds) serves.
var kindMinistry = map[string]string{
	"Préfecture": "interieur", "Sous-préfecture": "interieur", "Commissariat": "interieur",
	"Gendarmerie": "interieur", "DDT": "agriculture", "DREAL": "ecologie", "DDFiP": "finances",
	"Centre des finances publiques": "finances", "Douanes": "finances", "Tribunal": "justice",
	"Rectorat": "education", "ARS": "sante", "DIRECCTE": "travail", "DRAC": "culture",
	"Maison France services": "cohesion-territoires",
}

// streets are the street names of generated postal addresses.
var streets = []string{
	"rue de la République", "avenue du Général de Gaulle", "place de la Mairie", "boulevard Victor Hugo",
	"rue Jean Jaurès", "rue de la Préfecture", "avenue de la Gare", "rue Pasteur", "place du Marché",
	"rue du Palais", "allée des Tilleuls", "rue Gambetta", "avenue Foch", "rue de l'Hôtel de Ville",
	"rue Victor Schœlcher", "boulevard de la Liberté",
}

// carrier is an operator selling accesses, with how it numbers circuits.
type carrier struct {
	name   string
	prefix string
	digits int
}

// Carriers by where the access is and what it is. Overseas regions have
// their own operators; each list is drawn from uniformly.
var (
	mainlandFibre = []carrier{{"Orange", "OR", 10}, {"SFR", "SFRB", 9}, {"Bouygues Telecom", "BYTEL", 8},
		{"Free Pro", "FPRO", 8}, {"Kosc", "KOSC", 7}, {"Axione", "AXN", 8}, {"Covage", "CVG", 8}, {"Altitude Infra", "ALTI", 8}}
	mainlandCopper = []carrier{{"Orange", "OR", 10}, {"SFR", "SFRB", 9}, {"Kosc", "KOSC", 7}}
	mainlandRadio  = []carrier{{"Orange", "OR", 10}, {"SFR", "SFRB", 9}, {"Bouygues Telecom", "BYTEL", 8}, {"Free Pro", "FPRO", 8}}
	mainlandSat    = []carrier{{"Nordnet", "NNT", 7}, {"Orange", "OR", 10}}
	overseasFixed  = map[string][]carrier{
		"gua": {{"Orange Caraïbe", "ORC", 9}, {"SFR Caraïbe", "SFRC", 8}, {"Digicel", "DGC", 8}, {"Canal+ Telecom", "CPT", 8}},
		"mtq": {{"Orange Caraïbe", "ORC", 9}, {"SFR Caraïbe", "SFRC", 8}, {"Digicel", "DGC", 8}, {"Canal+ Telecom", "CPT", 8}},
		"guf": {{"Orange Caraïbe", "ORC", 9}, {"SFR Caraïbe", "SFRC", 8}, {"Digicel", "DGC", 8}},
		"reu": {{"SRR", "SRR", 9}, {"Orange Réunion", "ORR", 9}, {"Zeop", "ZEOP", 7}, {"Canal+ Telecom", "CPT", 8}, {"Only", "ONLY", 7}},
		"myt": {{"SRR", "SRR", 9}, {"Orange Mayotte", "ORM", 8}, {"Only", "ONLY", 7}},
		"ncl": {{"OPT-NC", "OPT", 8}},
		"pyf": {{"ONATi", "ONATI", 7}, {"Vodafone Polynésie", "VDF", 8}},
		"spm": {{"SPM Telecom", "SPMT", 6}},
		"wlf": {{"SPT Wallis-et-Futuna", "SPT", 6}},
	}
)

// geo is the geography's state: its random stream and the departments
// of each region.
type geo struct {
	rng      *rand.Rand
	byRegion map[string][]*places.Department
}

func newGeo(seed uint64) *geo {
	g := &geo{rng: rand.New(rand.NewPCG(seed, placesStream)), byRegion: map[string][]*places.Department{}}
	deps := places.Departments()
	for i := range deps {
		d := &deps[i]
		g.byRegion[d.Region] = append(g.byRegion[d.Region], d)
	}
	return g
}

// department draws one of region's departments, weighted by population.
func (g *geo) department(region string) *places.Department {
	ds := g.byRegion[region]
	if len(ds) == 0 {
		return nil
	}
	total := 0
	for _, d := range ds {
		total += d.Population
	}
	n := g.rng.IntN(max(total, 1))
	for _, d := range ds {
		if n < d.Population {
			return d
		}
		n -= d.Population
	}
	return ds[len(ds)-1]
}

// commune draws one of d's communes, weighted by the square root of the
// population: the cities get most sites, small towns get some.
func (g *geo) commune(d *places.Department) *places.Commune {
	total := 0.0
	for i := range d.Communes {
		total += math.Sqrt(float64(d.Communes[i].Population))
	}
	x := g.rng.Float64() * total
	for i := range d.Communes {
		x -= math.Sqrt(float64(d.Communes[i].Population))
		if x < 0 {
			return &d.Communes[i]
		}
	}
	return &d.Communes[len(d.Communes)-1]
}

func (g *geo) address(c *places.Commune) string {
	return fmt.Sprintf("%d %s, %s %s", 1+g.rng.IntN(120), streets[g.rng.IntN(len(streets))], c.PostalCode, c.Name)
}

// position draws a point near d's prefecture: within about 30 km on the
// mainland, 5 km on the (small) overseas islands. It is not the commune's
// own position, which the Etalab data does not give.
func (g *geo) position(d *places.Department, overseas bool) (lat, lon float64) {
	spread := 0.25
	if overseas {
		spread = 0.05
	}
	round := func(x float64) float64 { return math.Round(x*1e5) / 1e5 }
	lat = round(d.Lat + spread*(2*g.rng.Float64()-1))
	lon = round(d.Lon + spread*1.4*(2*g.rng.Float64()-1))
	return max(-90, min(90, lat)), max(-180, min(180, lon))
}

// carrierFor draws the operator of an access of technology t in region.
func (g *geo) carrierFor(region string, t inventory.Technology) carrier {
	var cs []carrier
	if o, ok := overseasFixed[region]; ok {
		cs = o
	} else {
		switch t {
		case inventory.TechADSL:
			cs = mainlandCopper
		case inventory.Tech4G:
			cs = mainlandRadio
		case inventory.TechSatellite:
			cs = mainlandSat
		default:
			cs = mainlandFibre
		}
	}
	return cs[g.rng.IntN(len(cs))]
}

// circuit numbers a circuit the way c does: its prefix, the department and
// a number of c's length.
func (g *geo) circuit(c carrier, dept string) string {
	return fmt.Sprintf("%s-%s-%0*d", c.prefix, dept, c.digits, g.rng.Int64N(int64(math.Pow10(c.digits))))
}

// siteKind returns the kind of site a generated name starts with.
func siteKind(name string) string {
	best := ""
	for _, k := range siteKinds {
		if strings.HasPrefix(name, k+" ") && len(k) > len(best) {
			best = k
		}
	}
	return best
}

// places fills in the fields a person needs on every site, access, PoP and
// datacentre of b's inventory.
func (b *builder) places() {
	g := newGeo(b.opts.Seed)
	overseas := map[string]bool{}
	for _, r := range regionSpecs {
		overseas[r.id] = r.overseas
	}
	for i := range b.inv.Sites {
		s := &b.inv.Sites[i]
		d := g.department(s.Region)
		if d == nil {
			continue
		}
		c := g.commune(d)
		s.Department, s.Commune, s.Address = d.Code, c.Name, g.address(c)
		s.Lat, s.Lon = g.position(d, overseas[s.Region])
		s.HasCoords = true
		s.Ministry = kindMinistry[siteKind(s.Name)]
		if s.Ministry != "" {
			s.Contact = fmt.Sprintf("GLPI-%s-%s", d.Code, strings.ToUpper(s.Ministry))
		}
		for j := range s.Access {
			a := &s.Access[j]
			op := g.carrierFor(s.Region, a.Technology)
			a.Operator, a.Circuit = op.name, g.circuit(op, d.Code)
		}
	}
	for i := range b.inv.PoPs {
		p := &b.inv.PoPs[i]
		if d := g.department(p.Region); d != nil {
			p.Address = g.address(g.popCommune(p.ID, d))
		}
	}
	for i := range b.inv.Datacentres {
		dc := &b.inv.Datacentres[i]
		if d := g.department(dc.Region); d != nil {
			dc.Address = g.address(g.commune(d))
		}
	}
}

// popCommune is where a PoP stands: the backbone city its id names when
// the region has it ("pop-bb-lyon": Lyon), else a commune of d.
func (g *geo) popCommune(id string, d *places.Department) *places.Commune {
	if city, ok := strings.CutPrefix(id, "pop-bb-"); ok {
		city = strings.TrimRight(city, "0123456789")
		for _, dep := range g.byRegion[d.Region] {
			for k := range dep.Communes {
				if c := &dep.Communes[k]; strings.HasPrefix(fold(c.Name), city) {
					return c
				}
			}
		}
	}
	return g.commune(d)
}

// fold lower-cases s and drops the accents of French names.
func fold(s string) string {
	return strings.NewReplacer("é", "e", "è", "e", "ê", "e", "ë", "e", "à", "a", "â", "a", "î", "i", "ï", "i",
		"ô", "o", "ù", "u", "û", "u", "ç", "c", "É", "e").Replace(strings.ToLower(s))
}
