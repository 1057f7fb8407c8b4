// The downloaded ORT sources rely on this namespace being imported by their original project.
global using System.Reflection;
