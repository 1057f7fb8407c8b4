// Backend and Precision (the inference options' enums) are used throughout the tests.
global using ResNetRealtime.Runtime;
