// Lets TypeScript read the files in datapath/spec/, which AssemblyScript compiles too.
// AssemblyScript has these as built-in integer types; for the TypeScript side they are plain numbers.
declare type i32 = number
declare type u32 = number
declare type u16 = number
declare type u8 = number
