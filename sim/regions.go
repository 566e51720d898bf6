package sim

// This file holds the fixed geography the generator draws from: the RIE's
// regions with a weight (roughly their population, which drives how many
// State sites they hold) and the cities where backbone routers stand.

// regionSpec describes one region of the generated RIE.
type regionSpec struct {
	id, name string
	overseas bool
	// weight is the share of sites (mainland weights share 97 %, overseas 3 %).
	weight float64
	// fallback is the region whose backbone routers serve this one when it
	// has none of its own.
	fallback string
	// cables is the number of transoceanic links of an overseas region.
	cables int
}

// regionSpecs lists the 13 mainland regions, then the overseas DROM and COM.
var regionSpecs = []regionSpec{
	{id: "idf", name: "Île-de-France", weight: 12.3},
	{id: "ara", name: "Auvergne-Rhône-Alpes", weight: 8.1, fallback: "idf"},
	{id: "naq", name: "Nouvelle-Aquitaine", weight: 6.0, fallback: "idf"},
	{id: "occ", name: "Occitanie", weight: 6.0, fallback: "naq"},
	{id: "hdf", name: "Hauts-de-France", weight: 6.0, fallback: "idf"},
	{id: "ges", name: "Grand Est", weight: 5.6, fallback: "idf"},
	{id: "pac", name: "Provence-Alpes-Côte d'Azur", weight: 5.1, fallback: "ara"},
	{id: "pdl", name: "Pays de la Loire", weight: 3.8, fallback: "bre"},
	{id: "bre", name: "Bretagne", weight: 3.4, fallback: "idf"},
	{id: "nor", name: "Normandie", weight: 3.3, fallback: "idf"},
	{id: "bfc", name: "Bourgogne-Franche-Comté", weight: 2.8, fallback: "ara"},
	{id: "cvl", name: "Centre-Val de Loire", weight: 2.6, fallback: "idf"},
	{id: "cor", name: "Corse", weight: 0.35, fallback: "pac"},
	{id: "gua", name: "Guadeloupe", overseas: true, weight: 0.38, cables: 2},
	{id: "mtq", name: "Martinique", overseas: true, weight: 0.36, cables: 2},
	{id: "guf", name: "Guyane", overseas: true, weight: 0.29, cables: 2},
	{id: "reu", name: "La Réunion", overseas: true, weight: 0.87, cables: 2},
	{id: "myt", name: "Mayotte", overseas: true, weight: 0.30, cables: 1},
	{id: "ncl", name: "Nouvelle-Calédonie", overseas: true, weight: 0.27, cables: 2},
	{id: "pyf", name: "Polynésie française", overseas: true, weight: 0.28, cables: 2},
	{id: "spm", name: "Saint-Pierre-et-Miquelon", overseas: true, weight: 0.02, cables: 1},
	{id: "wlf", name: "Wallis-et-Futuna", overseas: true, weight: 0.02, cables: 1},
}

// backboneCity is where one backbone router stands. The list is in ring
// order (roughly a loop around mainland France); the generator takes the
// first N.
type backboneCity struct{ id, region string }

var backboneCities = []backboneCity{
	{"paris1", "idf"}, {"lille", "hdf"}, {"strasbourg", "ges"}, {"dijon", "bfc"},
	{"lyon", "ara"}, {"marseille", "pac"}, {"montpellier", "occ"}, {"toulouse", "occ"},
	{"bordeaux", "naq"}, {"nantes", "pdl"}, {"rennes", "bre"}, {"rouen", "nor"},
	{"paris2", "idf"}, {"orleans", "cvl"}, {"nice", "pac"}, {"grenoble", "ara"},
	{"metz", "ges"}, {"limoges", "naq"}, {"clermont", "ara"}, {"caen", "nor"},
}

// siteKinds names the kinds of State sites, for readable site names.
var siteKinds = []string{
	"Préfecture", "Sous-préfecture", "DDT", "DREAL", "DDFiP", "Tribunal", "Commissariat",
	"Gendarmerie", "Rectorat", "ARS", "DIRECCTE", "Centre des finances publiques", "Douanes",
	"DRAC", "Maison France services",
}
