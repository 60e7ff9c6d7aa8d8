await import('protobufjs/light.js');
