package inventory

// Index (re)builds the lookup maps. Load calls it; code that builds an
// Inventory by hand (tests, the simulator) calls it once it is done.
func (inv *Inventory) Index() {
	inv.regionByID = make(map[string]int, len(inv.Regions))
	for i := range inv.Regions {
		inv.regionByID[inv.Regions[i].ID] = i
	}
	inv.datacentreByID = make(map[string]int, len(inv.Datacentres))
	for i := range inv.Datacentres {
		inv.datacentreByID[inv.Datacentres[i].ID] = i
	}
	inv.popByID = make(map[string]int, len(inv.PoPs))
	for i := range inv.PoPs {
		inv.popByID[inv.PoPs[i].ID] = i
	}
	inv.deviceByName = make(map[string]int, len(inv.Devices))
	for i := range inv.Devices {
		inv.deviceByName[inv.Devices[i].Name] = i
	}
	inv.siteByID = make(map[string]int, len(inv.Sites))
	for i := range inv.Sites {
		inv.siteByID[inv.Sites[i].ID] = i
	}
	inv.profileByName = make(map[string]int, len(inv.Profiles))
	for i := range inv.Profiles {
		inv.profileByName[inv.Profiles[i].Name] = i
	}
}

func lookup[T any](m map[string]int, s []T, key string) *T {
	if i, ok := m[key]; ok && i < len(s) {
		return &s[i]
	}
	return nil
}

// Region returns the region with that id, or nil.
func (inv *Inventory) Region(id string) *Region { return lookup(inv.regionByID, inv.Regions, id) }

// Datacentre returns the datacentre with that id, or nil.
func (inv *Inventory) Datacentre(id string) *Datacentre {
	return lookup(inv.datacentreByID, inv.Datacentres, id)
}

// PoP returns the point of presence with that id, or nil.
func (inv *Inventory) PoP(id string) *PoP { return lookup(inv.popByID, inv.PoPs, id) }

// Device returns the device with that name, or nil.
func (inv *Inventory) Device(name string) *Device {
	return lookup(inv.deviceByName, inv.Devices, name)
}

// Site returns the site with that id, or nil.
func (inv *Inventory) Site(id string) *Site { return lookup(inv.siteByID, inv.Sites, id) }

// Profile returns the SNMP profile with that name, or nil.
func (inv *Inventory) Profile(name string) *SNMPProfile {
	return lookup(inv.profileByName, inv.Profiles, name)
}

// DeviceRegion returns the region a device stands in, through its site,
// PoP or datacentre ("" if none is known).
func (inv *Inventory) DeviceRegion(d *Device) string {
	switch {
	case d.Site != "":
		if s := inv.Site(d.Site); s != nil {
			return s.Region
		}
	case d.PoP != "":
		if p := inv.PoP(d.PoP); p != nil {
			return p.Region
		}
	case d.Datacentre != "":
		if dc := inv.Datacentre(d.Datacentre); dc != nil {
			return dc.Region
		}
	}
	return ""
}
