package plugins

// RidgePluginPath is the ridge plugin built by TestMain, for the external
// tests in package plugins_test.
func RidgePluginPath() string { return ridgePluginPath }
