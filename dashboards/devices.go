package dashboards

// devices is the device health dashboard (issue 18): CPU, memory, sensors
// and optics of the devices that implement HOST-RESOURCES-MIB,
// CISCO-PROCESS-MIB, CISCO-MEMORY-POOL-MIB or ENTITY-SENSOR-MIB; the fleet's
// worst first, then one device in detail. Devices without these MIBs have
// no series, so they appear nowhere here.
func devices() *builder {
	device := queryVar("device", "Device", `label_values(vigie_device_up{job=~"$job",instance=~"$instance"}, device)`, false,
		"The device shown in detail: its panels are empty if it implements none of the health MIBs.")
	b := newDashboard("vigie-devices", "vigie / Device health",
		"Device health as the devices report it: CPU, memory pools, temperatures, fans, power and optical levels. The fleet's worst first, then one device in detail. Only devices that implement HOST-RESOURCES-MIB, CISCO-PROCESS-MIB, CISCO-MEMORY-POOL-MIB or ENTITY-SENSOR-MIB appear.",
		device)
	b.row("Fleet: the worst first")
	b.add(8, 9, panel("bargauge", "Busiest processors", "percentunit",
		"The 15 processors with the highest one-minute load (VigieDeviceCPUPinned above 90 % for 15 minutes).",
		instantQ(`topk(15, vigie_device_cpu_usage_ratio{JI})`, "{{device}} {{processor}}")).
		thresholds("green", 0.7, "orange", 0.9, "red").minMax(0, 1))
	b.add(8, 9, panel("bargauge", "Fullest memory pools", "percentunit",
		"The 15 memory pools with the highest share used (VigieDeviceMemoryNearlyFull above 95 %).",
		instantQ(`topk(15, vigie_device_memory_used_bytes{JI} / (vigie_device_memory_size_bytes{JI} > 0))`, "{{device}} {{pool}}")).
		thresholds("green", 0.8, "orange", 0.95, "red").minMax(0, 1))
	b.add(8, 9, panel("bargauge", "Hottest sensors", "celsius",
		"The 15 warmest temperature sensors (VigieDeviceTemperatureHigh above vigie:device_temperature_high_celsius, 70 °C by default).",
		instantQ(`topk(15, vigie_device_sensor_celsius{JI})`, "{{device}} {{entity}}")).
		thresholds("green", 60, "orange", 70, "red"))
	b.add(12, 9, panel("bargauge", "Weakest optics", "dBm",
		"The 15 optics receiving the least light, dark ports (−40 dBm) left out (VigieOpticReceivePowerLow below −25 dBm).",
		instantQ(`bottomk(15, vigie_device_optic_receive_dbm{JI} > -40)`, "{{device}} {{entity}}")).
		thresholds("red", -25, "orange", -20, "green").minMax(-40, 5))
	b.add(12, 9, panel("table", "Sensors not ok", "none",
		"Sensors whose entPhySensorOperStatus is not ok(1): unavailable(2) or nonoperational(3) (VigieSensorNonoperational). Empty when every sensor is ok.",
		tableQ(`vigie_device_sensor_status{JI} != 1`)).
		mapValues("2", "unavailable", "orange", "3", "NONOPERATIONAL", "red"))

	b.row("Device $device")
	const d = `device="$device"`
	b.add(12, 8, panel("timeseries", "CPU", "percentunit", "One-minute load of each processor of the device.",
		rangeQ(`vigie_device_cpu_usage_ratio{JI,`+d+`}`, "{{processor}}")).minMax(0, 1))
	b.add(12, 8, panel("timeseries", "Memory used", "percentunit", "Share of each memory pool in use.",
		rangeQ(`vigie_device_memory_used_bytes{JI,`+d+`} / (vigie_device_memory_size_bytes{JI,`+d+`} > 0)`, "{{pool}}")).minMax(0, 1))
	b.add(12, 8, panel("timeseries", "Temperatures", "celsius", "Every temperature sensor of the device.",
		rangeQ(`vigie_device_sensor_celsius{JI,`+d+`}`, "{{entity}}")))
	b.add(12, 8, panel("timeseries", "Optical power", "dBm", "Receive and transmit power of the device's optics (−40 dBm: no light).",
		rangeQ(`vigie_device_optic_receive_dbm{JI,`+d+`}`, "{{entity}}"), rangeQ(`vigie_device_optic_transmit_dbm{JI,`+d+`}`, "{{entity}}")))
	b.add(8, 8, panel("timeseries", "Fans", "rotrpm", "Fan speeds of the device.",
		rangeQ(`vigie_device_sensor_rpm{JI,`+d+`}`, "{{entity}}")))
	b.add(8, 8, panel("timeseries", "Power drawn", "watt", "Power sensors of the device (supplies), optics excepted.",
		rangeQ(`vigie_device_sensor_watts{JI,`+d+`}`, "{{entity}}")))
	b.add(8, 8, panel("timeseries", "Voltages and currents", "short", "Voltage (V) and current (A) sensors of the device.",
		rangeQ(`vigie_device_sensor_volts{JI,`+d+`}`, "{{entity}} V"), rangeQ(`vigie_device_sensor_amperes{JI,`+d+`}`, "{{entity}} A")))
	return b
}
