// Imported first by tests that load Powertools instances: they read the
// environment when their module loads.
import { setTestEnvironment } from '../../../services/runtime/testing';

setTestEnvironment({ POWERTOOLS_SERVICE_NAME: 'payments' });
