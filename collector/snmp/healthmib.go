package snmp

// The MIBs of device health: CPU and memory (HOST-RESOURCES-MIB, RFC 2790;
// CISCO-PROCESS-MIB; CISCO-MEMORY-POOL-MIB), sensors (ENTITY-SENSOR-MIB,
// RFC 3433) named by ENTITY-MIB (RFC 6933) entPhysicalTable. Each OID was
// checked against the MIB's text (librenms/librenms mibs/).

// HOST-RESOURCES-MIB.
const (
	oidHrProcessorLoad        = ".1.3.6.1.2.1.25.3.3.1.2" // hrProcessorLoad, Integer32 (0..100) percent, last minute; index hrDeviceIndex
	oidHrStorageEntry         = ".1.3.6.1.2.1.25.2.3.1"   // hrStorageEntry; index hrStorageIndex
	oidHrStorageType          = oidHrStorageEntry + ".2"  // hrStorageType, AutonomousType (hrStorageTypes.N)
	oidHrStorageDescr         = oidHrStorageEntry + ".3"  // hrStorageDescr, DisplayString
	oidHrStorageAllocUnits    = oidHrStorageEntry + ".4"  // hrStorageAllocationUnits, Integer32 (1..2147483647) bytes
	oidHrStorageSize          = oidHrStorageEntry + ".5"  // hrStorageSize, Integer32 (0..2147483647) units
	oidHrStorageUsed          = oidHrStorageEntry + ".6"  // hrStorageUsed, Integer32 (0..2147483647) units
	oidHrStorageTypeRAM       = ".1.3.6.1.2.1.25.2.1.2"   // hrStorageRam
	oidHrStorageTypeVirtualMe = ".1.3.6.1.2.1.25.2.1.3"   // hrStorageVirtualMemory
)

// CISCO-PROCESS-MIB cpmCPUTotalTable (ciscoMgmt 109), index cpmCPUTotalIndex.
const (
	oidCpmCPUTotalEntry         = ".1.3.6.1.4.1.9.9.109.1.1.1.1"
	oidCpmCPUTotalPhysicalIndex = oidCpmCPUTotalEntry + ".2" // EntPhysicalIndexOrZero
	oidCpmCPUTotal1minRev       = oidCpmCPUTotalEntry + ".7" // Gauge32 (0..100) percent
	oidCpmCPUTotal5minRev       = oidCpmCPUTotalEntry + ".8" // Gauge32 (0..100) percent
)

// CISCO-MEMORY-POOL-MIB ciscoMemoryPoolTable (ciscoMgmt 48), index
// ciscoMemoryPoolType.
const (
	oidCiscoMemoryPoolEntry = ".1.3.6.1.4.1.9.9.48.1.1.1"
	oidCiscoMemoryPoolName  = oidCiscoMemoryPoolEntry + ".2" // DisplayString
	oidCiscoMemoryPoolUsed  = oidCiscoMemoryPoolEntry + ".5" // Gauge32 bytes
	oidCiscoMemoryPoolFree  = oidCiscoMemoryPoolEntry + ".6" // Gauge32 bytes; used + free is the pool's size
)

// ENTITY-SENSOR-MIB entPhySensorTable (mib-2 99), index entPhysicalIndex.
const (
	oidEntPhySensorEntry      = ".1.3.6.1.2.1.99.1.1.1"
	oidEntPhySensorType       = oidEntPhySensorEntry + ".1" // EntitySensorDataType
	oidEntPhySensorScale      = oidEntPhySensorEntry + ".2" // EntitySensorDataScale: yocto(1) .. units(9) .. yotta(17)
	oidEntPhySensorPrecision  = oidEntPhySensorEntry + ".3" // EntitySensorPrecision (-8..9)
	oidEntPhySensorValue      = oidEntPhySensorEntry + ".4" // EntitySensorValue, Integer32
	oidEntPhySensorOperStatus = oidEntPhySensorEntry + ".5" // ok(1) unavailable(2) nonoperational(3)
)

// ENTITY-MIB entPhysicalTable, read with a Get for the sensors' and CPUs'
// indexes only: a chassis may list thousands of entities.
const (
	oidEntPhysicalDescr = ".1.3.6.1.2.1.47.1.1.1.1.2" // entPhysicalDescr, SnmpAdminString
	oidEntPhysicalName  = ".1.3.6.1.2.1.47.1.1.1.1.7" // entPhysicalName, SnmpAdminString
)

// Health groups: one bit each in healthState.present.
const (
	hgProcessor = iota // hrProcessorTable
	hgStorage          // hrStorageTable
	hgCPM              // cpmCPUTotalTable
	hgMemPool          // ciscoMemoryPoolTable
	hgSensor           // entPhySensorTable
	healthGroups
)

// Health columns, in walk order.
const (
	hcProcessorLoad = iota
	hcStorageType
	hcStorageDescr
	hcStorageUnits
	hcStorageSize
	hcStorageUsed
	hcCPMPhysical
	hcCPM1min
	hcCPM5min
	hcPoolName
	hcPoolUsed
	hcPoolFree
	hcSensorType
	hcSensorScale
	hcSensorPrecision
	hcSensorValue
	hcSensorStatus
	healthCols
)

// healthColumns lists every health column with its group, in hc* order.
var healthColumns = [healthCols]struct {
	oid   string
	group uint8
}{
	{oidHrProcessorLoad, hgProcessor},
	{oidHrStorageType, hgStorage}, {oidHrStorageDescr, hgStorage}, {oidHrStorageAllocUnits, hgStorage},
	{oidHrStorageSize, hgStorage}, {oidHrStorageUsed, hgStorage},
	{oidCpmCPUTotalPhysicalIndex, hgCPM}, {oidCpmCPUTotal1minRev, hgCPM}, {oidCpmCPUTotal5minRev, hgCPM},
	{oidCiscoMemoryPoolName, hgMemPool}, {oidCiscoMemoryPoolUsed, hgMemPool}, {oidCiscoMemoryPoolFree, hgMemPool},
	{oidEntPhySensorType, hgSensor}, {oidEntPhySensorScale, hgSensor}, {oidEntPhySensorPrecision, hgSensor},
	{oidEntPhySensorValue, hgSensor}, {oidEntPhySensorOperStatus, hgSensor},
}
