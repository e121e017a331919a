package plugins

// RidgePluginPath is the ridge plugin built by TestMain, for the external
// tests in package plugins_test.
func RidgePluginPath() string { return ridgePluginPath }

// MisbehavingPluginPath is the test plugin (internal/testplugins) built by TestMain.
func MisbehavingPluginPath() string { return testPluginPath }
